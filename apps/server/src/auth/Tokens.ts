import { createHash, randomBytes } from "node:crypto"
import { SqlClient } from "@effect/sql"
import type { AccessRole, Role, TokenId, WorkspaceId } from "@vibestack/schema"
import { apiError } from "@vibestack/shared"
import { Clock, Effect, PubSub, Queue, Redacted } from "effect"
import { Bus, Channel } from "../bus/Bus.js"
import { ServerConfigTag } from "../ServerConfigTag.js"
import { JwtSecret } from "./JwtSecret.js"
import { signToken, type TokenClaims, verifyToken } from "./jwt.js"

export interface Principal {
  readonly workspaceId: WorkspaceId
  readonly role: Role
  readonly tokenId: TokenId
}

/** A verified token: whom it speaks for, and until when (its expiry plus the clock tolerance). */
export interface Verified extends Principal {
  readonly validUntil: Date
}

interface TokenRow {
  readonly id: string
  readonly workspaceId: string
  readonly role: Role
  readonly label: string
  readonly expiresAt: Date
  readonly revokedAt: Date | null
}

const MASTER_TTL_MS = 10 * 365 * 24 * 3600 * 1000
const DEFAULT_ACCESS_TTL_S = 30 * 24 * 3600
/** A cached token row is trusted this long; revocation NOTIFYs evict sooner, on every node. */
const CACHE_TTL_MS = 30_000
const CACHE_MAX = 50_000

export const newId = (bytes = 16): string => randomBytes(bytes).toString("base64url")
const sha256 = (s: string) => createHash("sha256").update(s).digest("hex")

export class Tokens extends Effect.Service<Tokens>()("Tokens", {
  scoped: Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const bus = yield* Bus
    const secret = Redacted.value(yield* JwtSecret)
    const tolerance = (yield* ServerConfigTag).clockToleranceSeconds
    const cache = new Map<string, { row: TokenRow | undefined; at: number }>()
    const clock = yield* Effect.clock

    // Evict revoked tokens as soon as any node announces them.
    const revoked = yield* PubSub.subscribe(bus.tokens)
    yield* Queue.take(revoked).pipe(
      Effect.tap((s) => Effect.sync(() => cache.delete(s.tokenId))),
      Effect.forever,
      Effect.forkScoped,
    )

    // Revocations announced while the LISTEN connection was down were missed: forget everything.
    const missed = yield* PubSub.subscribe(bus.resync)
    yield* Queue.take(missed).pipe(
      Effect.tap(() => Effect.sync(() => cache.clear())),
      Effect.forever,
      Effect.forkScoped,
    )

    const loadRow = (id: string) =>
      Effect.gen(function* () {
        const hit = cache.get(id)
        const now = yield* Clock.currentTimeMillis
        if (hit && now - hit.at < CACHE_TTL_MS) return hit.row
        const rows =
          yield* sql<TokenRow>`select id, workspace_id, role, label, expires_at, revoked_at from tokens where id = ${id}`
        if (cache.size >= CACHE_MAX) cache.clear()
        cache.set(id, { row: rows[0], at: yield* Clock.currentTimeMillis })
        return rows[0]
      })

    const issue = (row: { id: string; workspaceId: string; role: Role; expiresAt: Date }) =>
      signToken(secret, {
        tokenId: row.id as TokenId,
        workspaceId: row.workspaceId as WorkspaceId,
        role: row.role,
        expiresAt: row.expiresAt,
      })

    /** The verdict on verified claims and their token's row at `now`: whom it speaks for, or why not. */
    const judge = (
      claims: TokenClaims,
      row: TokenRow | undefined,
      now: number,
    ): Verified | ReturnType<typeof apiError<"Unauthorized">> => {
      if (!row || row.workspaceId !== claims.workspaceId || row.role !== claims.role)
        return apiError("Unauthorized", "unknown token")
      if (row.revokedAt) return apiError("Unauthorized", "token revoked")
      // The same tolerance as the JWT's own exp check: nodes' clocks may differ by that much.
      const validUntil = new Date(Math.min(row.expiresAt.getTime(), claims.expiresAt.getTime()) + tolerance * 1000)
      if (validUntil.getTime() <= now) return apiError("Unauthorized", "token expired")
      return { workspaceId: claims.workspaceId, role: claims.role, tokenId: claims.tokenId, validUntil }
    }

    /** Verifies signature, claims and the token's row; fails with an `Unauthorized` API error. */
    const verify = Effect.fn("Tokens.verify")(function* (token: string) {
      const claims = verifyToken(secret, token, tolerance)
      if (typeof claims === "string") return yield* Effect.fail(apiError("Unauthorized", `invalid token: ${claims}`))
      const row = yield* loadRow(claims.tokenId).pipe(
        Effect.mapError(() => apiError("Unavailable", "token store unavailable")),
      )
      const verdict = judge(claims, row, yield* Clock.currentTimeMillis)
      return "error" in verdict ? yield* Effect.fail(verdict) : verdict
    })

    /**
     * `verify` without I/O, for hot paths (shape long-polls): the principal when the token
     * and its row are both in the caches and valid, else undefined (ask `verify`).
     */
    const verifyCached = (token: string): Verified | undefined => {
      const claims = verifyToken(secret, token, tolerance)
      if (typeof claims === "string") return undefined
      const hit = cache.get(claims.tokenId)
      // Synchronous by design (no fiber on the hot path): Effect's Clock, read without a fiber.
      const now = clock.unsafeCurrentTimeMillis()
      if (!hit || now - hit.at >= CACHE_TTL_MS) return undefined
      const verdict = judge(claims, hit.row, now)
      return "error" in verdict ? undefined : verdict
    }

    /** Register a client-created workspace. The creator (same id + creatorKey) may retry; anyone else gets 409. */
    const register = Effect.fn("Tokens.register")(function* (input: {
      id: string | undefined
      name: string
      creatorKey: string | undefined
    }) {
      const id = input.id ?? newId(12)
      const keyHash = sha256(input.creatorKey ?? newId(32))
      const masterId = newId()
      const expiresAt = new Date((yield* Clock.currentTimeMillis) + MASTER_TTL_MS)
      const created = yield* sql.withTransaction(
        Effect.gen(function* () {
          const inserted = yield* sql`
            insert into workspaces (id, name, creator_key_hash, master_token_id)
            values (${id}, ${input.name}, ${keyHash}, ${masterId})
            on conflict (id) do nothing returning id`
          if (inserted.length === 0) return false
          yield* sql`insert into tokens (id, workspace_id, role, label, expires_at)
                     values (${masterId}, ${id}, 'master', 'master', ${expiresAt})`
          yield* sql`insert into docs (workspace_id, doc_id) values (${id}, 'main')`
          return true
        }),
      )
      if (created)
        return { workspaceId: id, masterToken: issue({ id: masterId, workspaceId: id, role: "master", expiresAt }) }
      const existing = yield* sql<{ creatorKeyHash: string; masterTokenId: string }>`
        select creator_key_hash, master_token_id from workspaces where id = ${id}`
      const ws = existing[0]
      if (!ws || input.creatorKey === undefined || ws.creatorKeyHash !== keyHash)
        return yield* Effect.fail(apiError("Conflict", "a workspace with this id already exists"))
      const row =
        (yield* sql<TokenRow>`select id, workspace_id, role, label, expires_at, revoked_at from tokens where id = ${ws.masterTokenId}`)[0]
      if (!row) return yield* Effect.dieMessage(`workspace ${id} has no master token row`)
      return { workspaceId: id, masterToken: issue(row) }
    })

    const mint = Effect.fn("Tokens.mint")(function* (
      ws: WorkspaceId,
      input: { role: AccessRole; label: string | undefined; expiresInSeconds: number | undefined },
    ) {
      const id = newId()
      const expiresAt = new Date(
        (yield* Clock.currentTimeMillis) + (input.expiresInSeconds ?? DEFAULT_ACCESS_TTL_S) * 1000,
      )
      yield* sql`insert into tokens (id, workspace_id, role, label, expires_at)
                 values (${id}, ${ws}, ${input.role}, ${input.label ?? ""}, ${expiresAt})`
      return { tokenId: id as TokenId, token: issue({ id, workspaceId: ws, role: input.role, expiresAt }), expiresAt }
    })

    const list = (ws: WorkspaceId) =>
      sql<TokenRow>`select id, workspace_id, role, label, expires_at, revoked_at from tokens
                    where workspace_id = ${ws} order by created_at, id`

    /** Revokes an access token (never the master's); announces it to every node in the same transaction. */
    const revoke = Effect.fn("Tokens.revoke")(function* (ws: WorkspaceId, tokenId: string) {
      const done = yield* sql.withTransaction(
        Effect.gen(function* () {
          const rows = yield* sql`update tokens set revoked_at = coalesce(revoked_at, now())
                                  where id = ${tokenId} and workspace_id = ${ws} and role <> 'master' returning id`
          if (rows.length > 0) yield* bus.notify(Channel.tokens, { tokenId, ws })
          return rows.length > 0
        }),
      )
      cache.delete(tokenId)
      return done
    })

    const workspaceName = (ws: WorkspaceId) =>
      Effect.map(sql<{ name: string }>`select name from workspaces where id = ${ws}`, (rows) => rows[0]?.name)

    /** Which of these tokens are revoked or expired now, read from the table (never the cache). */
    const invalidAmong = (ids: ReadonlyArray<string>) =>
      ids.length === 0
        ? Effect.succeed(new Set<string>())
        : Effect.map(
            sql<{ id: string }>`select id from tokens where id = any(${ids as Array<string>})
                                and (revoked_at is not null or (expires_at is not null and expires_at < now() - make_interval(secs => ${tolerance})))`,
            (rows) => new Set(rows.map((r) => r.id)),
          )

    return { verify, verifyCached, register, mint, list, revoke, workspaceName, invalidAmong } as const
  }),
}) {}
