import { rmSync } from "node:fs"
import { SqlClient } from "@effect/sql"
import { Effect, Either, Layer, Logger, TestClock, TestContext } from "effect"
import { describe, expect, it } from "vitest"
import { Metrics } from "../metrics/Metrics.js"
import { ServerConfigTag } from "../ServerConfigTag.js"
import { testConfig } from "../test/server.js"
import { Limits } from "./Limits.js"
import { defaultLimits } from "./LimitsConfig.js"

/**
 * `Limits` on Effect's TestClock: its windows move only when the test moves the clock, so a
 * rate window is checked to the millisecond without waiting or timing anything.
 */
const run = <A, E>(body: (lines: Array<string>) => Effect.Effect<A, E, Limits>) => {
  const config = testConfig("postgres://unused", {
    port: 0,
    limits: { ...defaultLimits, workspaceCreates: { perSecond: 1, burst: 2 } },
  })
  const lines: Array<string> = []
  const layer = Limits.Default.pipe(
    Layer.provide(Metrics.Default),
    Layer.provide(Layer.succeed(ServerConfigTag, config)),
    // The anonymous checks never read the database (only pushes' quotas do).
    Layer.provide(Layer.succeed(SqlClient.SqlClient, {} as SqlClient.SqlClient)),
    Layer.provide(
      Logger.replace(
        Logger.defaultLogger,
        Logger.map(Logger.logfmtLogger, (l) => void lines.push(l)),
      ),
    ),
  )
  return Effect.runPromise(
    body(lines).pipe(Effect.provide(layer), Effect.provide(TestContext.TestContext), Effect.scoped),
  ).finally(() => rmSync(config.dataDir, { recursive: true, force: true }))
}

describe("Limits on Effect's clock", () => {
  it("[S18] an anonymous route's bucket refills with the clock: refused until a token is back, one trip logged until quiet", () =>
    run((lines) =>
      Effect.gen(function* () {
        const limits = yield* Limits
        const create = (address: string) =>
          Effect.map(Effect.either(limits.checkAnonymous("workspaceCreate", address)), Either.isRight)
        const trips = () => lines.filter((l) => l.includes("limit tripped: workspace_creates")).length

        // A burst of 2, then one a second.
        expect([yield* create("203.0.113.7"), yield* create("203.0.113.7"), yield* create("203.0.113.7")]).toEqual([
          true,
          true,
          false,
        ])
        // Another address has its own bucket.
        expect(yield* create("198.51.100.1")).toBe(true)
        yield* TestClock.adjust("999 millis")
        expect(yield* create("203.0.113.7")).toBe(false)
        yield* TestClock.adjust("1 millis")
        expect(yield* create("203.0.113.7")).toBe(true)
        expect(yield* create("203.0.113.7")).toBe(false)
        // Refusals less than a minute apart are one trip: logged once.
        yield* TestClock.adjust("59 seconds")
        expect(yield* create("203.0.113.7")).toBe(true)
        expect(yield* create("203.0.113.7")).toBe(true)
        expect(yield* create("203.0.113.7")).toBe(false)
        yield* Effect.yieldNow()
        expect(trips()).toBe(1)
        // After a quiet minute, the next refusal starts a new trip.
        yield* TestClock.adjust("60 seconds")
        for (let i = 0; i < 3; i++) yield* create("203.0.113.7")
        yield* Effect.yieldNow()
        expect(trips()).toBe(2)
      }),
    ))
})
