import type { PeerID } from "loro-crdt"
import { VersionVector } from "loro-crdt"
import { withScratch } from "../validate/withScratch.js"
import type { PoolOp } from "./PoolOp.js"

/**
 * The document's JSON at a past version, read on a throwaway fork so the worker's copy
 * never leaves its latest state.
 */
export const stateAt: PoolOp<{ readonly versionVector: Record<string, number> }, { readonly json: unknown }> = (
  ctx,
  args,
) =>
  ctx.atCommitted((doc) => {
    const vv = new VersionVector(new Map(Object.entries(args.versionVector) as Array<[PeerID, number]>))
    const cmp = vv.compare(doc.oplogVersion())
    if (cmp === undefined || cmp > 0) throw new Error("the version is not part of this document's history")
    return withScratch(
      () => doc.forkAt(doc.vvToFrontiers(vv)),
      (fork) => ({ json: fork.toJSON() }),
    )
  })
