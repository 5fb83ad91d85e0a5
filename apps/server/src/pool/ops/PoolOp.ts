import type { Frontiers, LoroDoc } from "loro-crdt"

/** What a named operation sees of one worker-owned document. */
export interface OpContext {
  /** The server's copy. Treat it as read-only: never commit local ops on it. */
  readonly doc: LoroDoc
  /** The byte-store seq the committed state covers. */
  readonly committedSeq: number
  /** The committed state's oplog frontiers (read without a checkout, which costs O(document)). */
  readonly committedFrontiers: Frontiers
  /**
   * Runs `f` with the document at its committed state: validated-but-uncommitted updates
   * are hidden by a checkout for the duration of `f`.
   */
  readonly atCommitted: <A>(f: (doc: LoroDoc) => A) => A
}

/**
 * A named operation run inside a pool worker on an owned document. Args and results
 * cross a thread boundary, so both must be structured-clone-able (no Loro handles).
 */
export type PoolOp<Args, Result> = (ctx: OpContext, args: Args) => Result
