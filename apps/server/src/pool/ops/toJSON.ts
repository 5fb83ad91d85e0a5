import type { PoolOp } from "./PoolOp.js"

/** The document's JSON at its committed state. */
export const toJSON: PoolOp<void, { readonly json: unknown; readonly seq: number }> = (ctx) => ({
  json: ctx.atCommitted((doc) => doc.toJSON()),
  seq: ctx.committedSeq,
})
