import { type Frontiers, LoroDoc, type PeerID, VersionVector } from "loro-crdt"
import { withScratch } from "../validate/withScratch.js"
import type { PoolOp } from "./PoolOp.js"

export type RevertTarget =
  | { readonly _tag: "Snapshot"; readonly snapshot: Uint8Array }
  | { readonly _tag: "Version"; readonly versionVector: Record<string, number> }

export interface RevertResult {
  /** New forward operations (an update blob to push), or null when the state already matches. */
  readonly update: Uint8Array | null
  readonly fromSeq: number
}

/**
 * Computes a revert as new operations: on a fork of the committed document (own random
 * peer id, so it never shares one with a live copy), `revertTo(target)` writes the ops that
 * bring the state back to the target version; they are exported as an update for the push
 * path. The target must be part of this document's history (a backup of this workspace, or
 * a version from its log); a foreign snapshot is refused, never merged in.
 */
export const revertDoc: PoolOp<{ readonly target: RevertTarget }, RevertResult> = (ctx, args) =>
  ctx.atCommitted((doc) => {
    const target = targetFrontiers(doc, args.target)
    return withScratch(
      () => doc.fork(),
      (work) => {
        const before = work.oplogVersion()
        work.revertTo(target)
        work.commit({ message: "vibestack: revert" })
        const changed = work.oplogVersion().compare(before) !== 0
        return { update: changed ? work.export({ mode: "update", from: before }) : null, fromSeq: ctx.committedSeq }
      },
    )
  })

const targetFrontiers = (doc: LoroDoc, target: RevertTarget): Frontiers => {
  const have = doc.oplogVersion()
  let vv: VersionVector
  if (target._tag === "Snapshot") {
    vv = withScratch(
      () => new LoroDoc(),
      (scratch) => {
        scratch.import(target.snapshot)
        return scratch.oplogVersion()
      },
    )
  } else vv = new VersionVector(new Map(Object.entries(target.versionVector) as Array<[PeerID, number]>))
  const cmp = vv.compare(have)
  if (cmp === undefined || cmp > 0) throw new Error("the target version is not part of this document's history")
  return doc.vvToFrontiers(vv)
}
