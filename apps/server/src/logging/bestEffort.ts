import { Duration, Effect } from "effect"

/** How long closing a connection or stopping a consumer may take at shutdown. */
export const CLOSE_WITHIN = "10 seconds"

/**
 * A step whose failure must not fail its caller (closing a connection, dropping a cached copy,
 * warming a pool): run it, and log a failure (or a defect) as a warning instead of swallowing it.
 * With `within`, a step still unsettled by then is given up on and logged the same way, even
 * in a finalizer: a connection whose `end()` never settles must not hold a shutdown forever.
 */
export const bestEffort = (
  what: string,
  run: () => PromiseLike<unknown>,
  within?: Duration.DurationInput,
): Effect.Effect<void> => {
  const step = Effect.tryPromise(run).pipe(Effect.asVoid)
  const bounded =
    within === undefined
      ? step
      : step.pipe(
          Effect.timeoutFail({
            duration: within,
            onTimeout: () => new Error(`gave up after ${Duration.format(Duration.decode(within))}`),
          }),
        )
  // In a span of its own name: a shutdown that hangs names the step it is in (test/within.ts).
  return bounded.pipe(
    Effect.catchAllCause((cause) => Effect.logWarning(`${what} failed`, cause)),
    Effect.withSpan(what),
  )
}
