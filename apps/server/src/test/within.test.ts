import { Effect, Exit, Scope } from "effect"
import { describe, expect, it } from "vitest"
import { runningFibers, within } from "./within.js"

describe("within (teardown bound)", () => {
  it("passes a promise that settles in time through", async () => {
    expect(await within("quick", Promise.resolve(7), 1_000)).toBe(7)
  })

  it("rejects a step that hangs, naming it and what the process still waits on", async () => {
    const hang = new Promise<never>(() => {})
    await expect(within("the stuck step", hang, 20)).rejects.toThrow(
      /the stuck step did not finish within 0.02 s; still active: \[.*\]; fibers: /,
    )
  })

  it("names the span a hung finalizer is in", async () => {
    const scope = Effect.runSync(Scope.make())
    Effect.runSync(
      Scope.addFinalizer(
        scope,
        // A promise that never settles (Effect.never would hold the event loop open).
        Effect.promise(() => new Promise<void>(() => {})).pipe(
          Effect.withSpan("closing the stuck part"),
          Effect.withSpan("stopping the server"),
        ),
      ),
    )
    const closing = Effect.runFork(Scope.close(scope, Exit.void))
    await new Promise((r) => setTimeout(r, 20))
    expect(await runningFibers()).toMatch(/#\d+ Suspended in closing the stuck part < stopping the server/)
    // The finalizer runs uninterruptibly: the fiber stays suspended, holding nothing.
    void closing
  })
})
