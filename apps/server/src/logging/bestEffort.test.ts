import { Effect, Exit, Fiber, Logger, Scope, TestClock, TestContext } from "effect"
import { describe, expect, it } from "vitest"
import { bestEffort } from "./bestEffort.js"

/** Runs `effect` with the test clock, collecting what it logs. */
const run = <A>(effect: Effect.Effect<A>) => {
  const logged: Array<string> = []
  const logger = Logger.make(({ message }) => void logged.push(String(message)))
  return Effect.runPromise(
    effect.pipe(Effect.provide(Logger.replace(Logger.defaultLogger, logger)), Effect.provide(TestContext.TestContext)),
  ).then((value) => ({ value, logged }))
}

describe("bestEffort", () => {
  it("logs a failing step as a warning and succeeds", async () => {
    const { logged } = await run(bestEffort("closing a thing", () => Promise.reject(new Error("boom"))))
    expect(logged).toEqual(["closing a thing failed"])
  })

  it("gives up on a close that never settles once its bound passes, even as a finalizer", async () => {
    const { value, logged } = await run(
      Effect.gen(function* () {
        const scope = yield* Scope.make()
        yield* Scope.addFinalizer(
          scope,
          bestEffort("closing a stuck connection", () => new Promise(() => {}), "10 seconds"),
        )
        const closing = yield* Effect.fork(Scope.close(scope, Exit.void))
        yield* TestClock.adjust("9 seconds")
        const early = yield* Fiber.poll(closing)
        yield* TestClock.adjust("1 second")
        yield* Fiber.join(closing)
        return early._tag
      }),
    )
    // Still closing before the bound; closed, with the close logged as failed, at it.
    expect(value).toBe("None")
    expect(logged).toEqual(["closing a stuck connection failed"])
  })
})
