import { Config, Effect } from "effect"
import { CliError, type Flag } from "./Command.js"

/** The one way every server-talking command names its server. */
export const urlFlag: Flag = {
  type: "string",
  description: "server URL (default: $VIBESTACK_URL, else http://127.0.0.1:$PORT with PORT default 3000)",
}

/** `--url`, else `VIBESTACK_URL`, else `http://127.0.0.1:$PORT` (3000): checked to be an http(s) URL. */
export const serverUrl = (flags: Readonly<Record<string, string | boolean | undefined>>) =>
  Effect.gen(function* () {
    const given = typeof flags.url === "string" && flags.url.length > 0 ? flags.url : undefined
    const env = yield* Config.option(Config.string("VIBESTACK_URL")).pipe(Effect.orElseSucceed(() => undefined))
    const port = yield* Config.integer("PORT").pipe(
      Config.withDefault(3000),
      Effect.orElseSucceed(() => 3000),
    )
    const url = given ?? (env?._tag === "Some" ? env.value : `http://127.0.0.1:${port}`)
    const source = given !== undefined ? "--url" : env?._tag === "Some" ? "VIBESTACK_URL" : "PORT"
    let parsed: URL
    try {
      parsed = new URL(url)
    } catch {
      return yield* Effect.fail(new CliError(`${source} is not a URL: ${url}`))
    }
    if (parsed.protocol !== "http:" && parsed.protocol !== "https:")
      return yield* Effect.fail(new CliError(`${source} must be an http(s) URL: ${url}`))
    return url.replace(/\/+$/, "")
  })

/**
 * Why a request to the server failed, with the URL: `fetch` says only "fetch failed"; the
 * cause (ECONNREFUSED, ENOTFOUND, a timeout) is what an operator needs.
 */
export const unreachable = (url: string, e: unknown): CliError => {
  if (e instanceof CliError) return e
  const err = e as { message?: string; cause?: { code?: string; message?: string } }
  const cause = err?.cause?.code ?? err?.cause?.message ?? err?.message ?? String(e)
  return new CliError(`could not reach the server at ${url}: ${cause}`)
}
