import * as HttpApiBuilder from "@effect/platform/HttpApiBuilder"
import { type AccessRole, MAIN_DOC, type TokenId } from "@vibestack/schema"
import { apiError, Principal, VibeStackApi } from "@vibestack/shared"
import { Effect, Option } from "effect"
import { Tokens } from "../auth/Tokens.js"
import { ServerConfigTag } from "../ServerConfigTag.js"
import { ByteStore } from "../store/ByteStore.js"
import { requireMaster, requireWorkspace } from "./AuthenticationLive.js"

export const WorkspacesLive = HttpApiBuilder.group(VibeStackApi, "workspaces", (handlers) =>
  Effect.gen(function* () {
    const tokens = yield* Tokens
    const store = yield* ByteStore
    return handlers
      .handle("register", ({ payload }) =>
        tokens.register({ id: payload.id, name: payload.name, creatorKey: payload.creatorKey }).pipe(
          Effect.map((r) => ({ workspaceId: r.workspaceId as never, masterToken: r.masterToken })),
          Effect.catchTag("SqlError", () => Effect.fail(apiError("BadRequest", "could not register workspace"))),
        ),
      )
      .handle("info", ({ path }) =>
        Effect.gen(function* () {
          const principal = yield* Principal
          yield* requireWorkspace(principal, path.ws)
          const rows = yield* store.docCursors(path.ws).pipe(Effect.orDie)
          const name = yield* tokens.workspaceName(path.ws).pipe(Effect.orDie)
          if (name === undefined) return yield* Effect.fail(apiError("NotFound", "workspace not found"))
          const docs = rows.length > 0 ? rows : [{ docId: MAIN_DOC, cursor: 0 }]
          return { workspaceId: path.ws, name, role: principal.role, docs }
        }),
      )
  }),
)

export const TokensLive = HttpApiBuilder.group(VibeStackApi, "tokens", (handlers) =>
  Effect.gen(function* () {
    const tokens = yield* Tokens
    const config = yield* ServerConfigTag
    const base = Option.getOrElse(config.publicUrl, () => `http://${config.host}:${config.port}`)
    return handlers
      .handle("mint", ({ path, payload }) =>
        Effect.gen(function* () {
          yield* requireMaster(yield* Principal, path.ws)
          const minted = yield* tokens
            .mint(path.ws, { role: payload.role, label: payload.label, expiresInSeconds: payload.expiresInSeconds })
            .pipe(Effect.orDie)
          return {
            tokenId: minted.tokenId,
            token: minted.token,
            role: payload.role as AccessRole,
            expiresAt: minted.expiresAt.toISOString(),
            // The token rides in the fragment: browsers never send it to the server or its logs.
            shareUrl: `${base}/join/${path.ws}#token=${minted.token}`,
          }
        }),
      )
      .handle("list", ({ path }) =>
        Effect.gen(function* () {
          yield* requireMaster(yield* Principal, path.ws)
          const rows = yield* tokens.list(path.ws).pipe(Effect.orDie)
          return {
            tokens: rows.map((r) => ({
              tokenId: r.id as TokenId,
              role: r.role,
              label: r.label,
              expiresAt: r.expiresAt.toISOString(),
              revokedAt: r.revokedAt ? r.revokedAt.toISOString() : null,
            })),
          }
        }),
      )
      .handle("revoke", ({ path }) =>
        Effect.gen(function* () {
          yield* requireMaster(yield* Principal, path.ws)
          const done = yield* tokens.revoke(path.ws, path.tokenId).pipe(Effect.orDie)
          if (!done) return yield* Effect.fail(apiError("NotFound", "no such access token in this workspace"))
        }),
      )
  }),
)
