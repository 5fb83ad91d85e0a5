import { Data } from "effect"

/**
 * The pool's own failures, never a raw Loro string. Kinds match
 * `@vibestack/shared` ErrorKind: "Unavailable" (retry: a worker was recycled or timed
 * out), "Internal" (retry/report: Loro failed on data the store supplied).
 * A refused blob is not an error: `validate` returns `{ ok: false, reason }` for it.
 */
export class PoolError extends Data.TaggedError("PoolError")<{
  readonly kind: "Unavailable" | "Internal"
  readonly message: string
}> {}

/** The worker went away (recycled, exited) before answering; the call may be retried. */
export class WorkerGone extends Data.TaggedError("WorkerGone")<{ readonly message: string }> {}
