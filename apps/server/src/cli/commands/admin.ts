import { SqlClient } from "@effect/sql"
import type { AccessRole, WorkspaceId } from "@vibestack/schema"
import { Effect } from "effect"
import { Tokens } from "../../auth/Tokens.js"
import { migrate } from "../../db/Database.js"
import { CliError, type Command } from "../Command.js"
import { runCore } from "../runCore.js"

const str = (flags: Readonly<Record<string, string | boolean | undefined>>, name: string): string => {
  const v = flags[name]
  if (typeof v !== "string" || v.length === 0) throw new CliError(`--${name} is required`)
  return v
}
const need = (flags: Readonly<Record<string, string | boolean | undefined>>, name: string) =>
  Effect.try({ try: () => str(flags, name), catch: (e) => e as CliError })

export const adminCommands: ReadonlyArray<Command> = [
  {
    group: "migrate",
    summary: "run pending server SQL migrations (also done at every start)",
    example: "vibestack migrate",
    flags: {},
    run: () => runCore(Effect.as(migrate, { migrated: true })),
  },
  {
    group: "workspace",
    name: "create",
    summary: "create a workspace; prints its id and master token",
    example: "vibestack workspace create --name Acme --json",
    flags: {
      name: { type: "string", description: "workspace name", required: true },
      id: { type: "string", description: "client-chosen id (default: generated)" },
    },
    run: (flags) =>
      Effect.flatMap(need(flags, "name"), (name) =>
        runCore(
          Effect.flatMap(Tokens, (t) =>
            t.register({ id: flags.id as string | undefined, name, creatorKey: undefined }),
          ),
        ),
      ),
  },
  {
    group: "workspace",
    name: "list",
    summary: "list workspaces with their documents' cursors",
    example: "vibestack workspace list",
    flags: {},
    run: () =>
      runCore(
        Effect.flatMap(
          SqlClient.SqlClient,
          (sql) => sql`select w.id as workspace_id, w.name, w.created_at,
                         coalesce(sum(d.last_seq), 0)::int8 as updates, count(d.doc_id)::int8 as docs
                       from workspaces w left join docs d on d.workspace_id = w.id
                       group by w.id order by w.created_at`,
        ),
      ),
  },
  {
    group: "token",
    name: "create",
    summary: "mint an access token for a workspace",
    example: "vibestack token create --workspace W --role editor --label ci --expires-in 86400",
    flags: {
      workspace: { type: "string", description: "workspace id", required: true },
      role: { type: "string", description: "editor | viewer", required: true },
      label: { type: "string", description: "label shown in listings" },
      "expires-in": { type: "string", description: "lifetime in seconds (default 30 days)" },
    },
    run: (flags) =>
      Effect.gen(function* () {
        const ws = (yield* need(flags, "workspace")) as WorkspaceId
        const role = yield* need(flags, "role")
        if (role !== "editor" && role !== "viewer")
          return yield* Effect.fail(new CliError("--role must be editor or viewer"))
        const expires = flags["expires-in"] === undefined ? undefined : Number(flags["expires-in"])
        if (expires !== undefined && !(Number.isInteger(expires) && expires > 0))
          return yield* Effect.fail(new CliError("--expires-in must be a positive number of seconds"))
        return yield* runCore(
          Effect.flatMap(Tokens, (t) =>
            Effect.gen(function* () {
              if ((yield* t.workspaceName(ws)) === undefined)
                return yield* Effect.fail(new CliError(`no workspace ${ws}`))
              const m = yield* t.mint(ws, {
                role: role as AccessRole,
                label: flags.label as string | undefined,
                expiresInSeconds: expires,
              })
              return { tokenId: m.tokenId, token: m.token, role, expiresAt: m.expiresAt.toISOString() }
            }),
          ),
        )
      }),
  },
  {
    group: "token",
    name: "list",
    summary: "list a workspace's tokens (never the token strings)",
    example: "vibestack token list --workspace W",
    flags: { workspace: { type: "string", description: "workspace id", required: true } },
    run: (flags) =>
      Effect.flatMap(need(flags, "workspace"), (ws) =>
        runCore(Effect.flatMap(Tokens, (t) => t.list(ws as WorkspaceId))),
      ),
  },
  {
    group: "token",
    name: "revoke",
    summary: "revoke an access token; open sockets using it close within 5 s",
    example: "vibestack token revoke --workspace W --token-id T",
    flags: {
      workspace: { type: "string", description: "workspace id", required: true },
      "token-id": { type: "string", description: "token id", required: true },
    },
    run: (flags) =>
      Effect.gen(function* () {
        const ws = (yield* need(flags, "workspace")) as WorkspaceId
        const id = yield* need(flags, "token-id")
        const done = yield* runCore(Effect.flatMap(Tokens, (t) => t.revoke(ws, id)))
        if (!done) return yield* Effect.fail(new CliError("no such access token in this workspace"))
        return { revoked: id }
      }),
  },
]
