import { Config, Effect } from "effect"
import { tailShape } from "../../feed/tailShape.js"
import { CliError, type Command } from "../Command.js"

const text = (flags: Readonly<Record<string, string | boolean | undefined>>, name: string) => {
  const v = flags[name]
  return typeof v === "string" && v.length > 0 ? v : undefined
}

/** The workspace a token names (read, not verified: the server verifies it). */
const tokenWorkspace = (token: string): string | undefined => {
  try {
    const payload = JSON.parse(Buffer.from(token.split(".")[1] ?? "", "base64url").toString("utf8")) as {
      ws?: string
      workspaceId?: string
    }
    return payload.ws ?? payload.workspaceId
  } catch {
    return undefined
  }
}

export const feedCommands: ReadonlyArray<Command> = [
  {
    group: "feed",
    name: "tail",
    summary: "print a projected table's changes (Electric shape protocol) and resume from a saved offset",
    flags: {
      table: { type: "string", description: "projects, tasks, comments or members", required: true },
      workspace: { type: "string", description: "the workspace (must be the token's)", required: true },
      token: { type: "string", description: "a token of that workspace (viewers may read)", required: true },
      url: { type: "string", description: "server URL (default http://127.0.0.1:$PORT)" },
      "offset-file": { type: "string", description: "keeps the handle and offset between runs" },
      once: { type: "boolean", description: "stop when up to date instead of following" },
    },
    run: (flags) =>
      Effect.gen(function* () {
        const table = text(flags, "table")
        const workspace = text(flags, "workspace")
        const token = text(flags, "token")
        if (!table || !workspace || !token)
          return yield* Effect.fail(new CliError("--table, --workspace and --token are required"))
        const named = tokenWorkspace(token)
        if (named !== undefined && named !== workspace)
          return yield* Effect.fail(new CliError(`the token belongs to workspace ${named}, not ${workspace}`))
        const port = yield* Config.integer("PORT").pipe(
          Config.withDefault(3000),
          Effect.orElseSucceed(() => 3000),
        )
        const url = text(flags, "url") ?? `http://127.0.0.1:${port}`
        yield* Effect.tryPromise({
          try: (signal) =>
            tailShape({
              url,
              table,
              token,
              offsetFile: text(flags, "offset-file"),
              once: flags.once === true,
              print: (line) => process.stdout.write(`${line}\n`),
              signal,
            }),
          catch: (e) => new CliError(e instanceof Error ? e.message : String(e)),
        })
        return "(up to date)"
      }),
  },
]
