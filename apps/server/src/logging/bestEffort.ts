import { Effect } from "effect"

/**
 * A step whose failure must not fail its caller (closing a connection, dropping a cached copy,
 * warming a pool): run it, and log a failure (or a defect) as a warning instead of swallowing it.
 */
export const bestEffort = (what: string, run: () => PromiseLike<unknown>): Effect.Effect<void> =>
  Effect.tryPromise(run).pipe(
    Effect.asVoid,
    Effect.catchAllCause((cause) => Effect.logWarning(`${what} failed`, cause)),
  )
