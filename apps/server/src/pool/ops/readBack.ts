import { readWorkspace } from "@vibestack/schema"
import { LoroDoc } from "loro-crdt"
import { withScratch } from "../validate/withScratch.js"
import type { PoolOp } from "./PoolOp.js"

export interface ReadBack {
  readonly snapshotBytes: number
  readonly changeCount: number
  /** Entities the schema reads, and the ones it lists as unreadable. */
  readonly entities: number
  readonly issues: number
}

/**
 * The ground truth push validation stands in for, on the committed copy: a snapshot exports,
 * loads into a fresh document with the same version, and reads in full (deep `toJSON`, then
 * the schema's `readWorkspace`). O(document): for diagnostics, repairs and the mutation fuzz,
 * never the push path. A Loro panic crashes the worker (the call fails).
 */
export const readBack: PoolOp<void, ReadBack> = (ctx) =>
  ctx.atCommitted((doc) => {
    const bytes = doc.export({ mode: "snapshot" })
    return withScratch(
      () => LoroDoc.fromSnapshot(bytes),
      (fresh) => {
        if (fresh.oplogVersion().compare(doc.oplogVersion()) !== 0)
          throw new Error("the snapshot does not reproduce the document's version")
        fresh.toJSON()
        const view = readWorkspace(fresh)
        const entities = view.projects.length + view.tasks.length + view.comments.length + view.members.length
        return { snapshotBytes: bytes.length, changeCount: fresh.changeCount(), entities, issues: view.issues.length }
      },
    )
  })
