import { Effect } from "effect"
import { tailShape } from "../../feed/tailShape.js"
import { CliError, type Command } from "../Command.js"
import { serverUrl, unreachable, urlFlag } from "../serverUrl.js"

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
    example: "vibestack feed tail --table tasks --workspace W --token T --offset-file tasks.offset",
    flags: {
      table: { type: "string", description: "projects, tasks, comments or members", required: true },
      workspace: { type: "string", description: "the workspace (must be the token's)", required: true },
      token: { type: "string", description: "a token of that workspace (viewers may read)", required: true },
      url: urlFlag,
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
        const url = yield* serverUrl(flags)
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
          catch: (e) =>
            e instanceof TypeError && e.message === "fetch failed"
              ? unreachable(url, e)
              : new CliError(`${url}: ${e instanceof Error ? e.message : String(e)}`),
        })
        return "(up to date)"
      }),
  },
]
