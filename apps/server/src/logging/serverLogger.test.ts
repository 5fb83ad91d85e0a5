import { ConfigProvider, Effect, Layer } from "effect"
import { describe, expect, it } from "vitest"
import { ServerLoggerLive } from "./serverLogger.js"

/** What one log call prints through the server's logger, given a terminal or not and the environment. */
const printed = async (isTty: boolean, env: Record<string, string> = {}) => {
  const out: Array<string> = []
  const original = console.log
  console.log = (...args: Array<unknown>) => void out.push(args.map(String).join(" "))
  try {
    const provider = Layer.setConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env))))
    await Effect.runPromise(
      Effect.logWarning("pool worker recycled").pipe(
        Effect.annotateLogs({ requestId: "r-1", pool: "push" }),
        Effect.provide(ServerLoggerLive(isTty).pipe(Layer.provide(provider))),
      ),
    )
  } finally {
    console.log = original
  }
  return out
}

describe("server logger", () => {
  it("[O3] one JSON object per line when stdout is not a terminal, with the annotations", async () => {
    const [line, ...rest] = await printed(false)
    expect(rest).toEqual([])
    const json = JSON.parse(line!)
    expect(json).toMatchObject({
      message: "pool worker recycled",
      logLevel: "WARN",
      annotations: { requestId: "r-1", pool: "push" },
    })
  })

  it("[O3] VIBESTACK_LOG_FORMAT=json wins on a terminal; the level filters", async () => {
    const onTerminal = await printed(true, { VIBESTACK_LOG_FORMAT: "json" })
    expect(JSON.parse(onTerminal[0]!).message).toBe("pool worker recycled")
    expect(await printed(false, { VIBESTACK_LOG_LEVEL: "Error" })).toEqual([])
  })
})
