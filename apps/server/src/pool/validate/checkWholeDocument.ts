import { opsContextOf, validateOps } from "@vibestack/schema"
import { Either } from "effect"
import { LoroDoc, type PeerID, VersionVector } from "loro-crdt"
import { changeMetadataProblem } from "./changeMetadata.js"
import { lamportOf } from "./validateBatch.js"
import { withScratch } from "./withScratch.js"

/** Counters decoded per step, so the JSON of a large document never sits in memory at once. */
const WINDOW = 50_000

/**
 * The full, O(document) check, for bytes that did not come through the push path one batch at
 * a time (a backup import, a history restore, a repair), or throws with the reason:
 *   1. every op of the whole history against the layout, and the metadata of every change,
 *      decoded in windows of counters per peer (Loro slices a change at a window's edge into
 *      a change that is itself consistent);
 *   2. a snapshot exports, loads into a fresh document with the same version, and that
 *      document reads in full, deep (`toJSON`; after step 1 it holds nothing but the layout).
 * Step 2 is the ground truth the push path's O(update) `validateBatch` stands in for. At 20,000
 * tasks this takes ~10 s on a loaded 2-core machine (the history's JSON and a fresh document's
 * first deep read dominate): callers give it a pool call timeout of its own.
 */
export const checkWholeDocument = (doc: LoroDoc): void => {
  const end = doc.oplogVersion().toJSON() as Map<string, number>
  const ctx = opsContextOf(doc)
  const lamports = lamportOf(doc)
  const done = new Map<string, number>()
  for (const [peer, last] of end) {
    for (let start = 0; start < last; start += WINDOW) {
      const from = new Map(done)
      const to = new Map(done).set(peer, Math.min(last, start + WINDOW))
      const json = doc.exportJsonUpdates(vv(from), vv(to), false)
      const layout = validateOps(json.changes, ctx)
      if (Either.isLeft(layout)) throw new Error(`${layout.left.reason} (op ${layout.left.op ?? "?"})`)
      const metadata = changeMetadataProblem(json.changes, { from, to, known: end, lamportOf: lamports })
      if (metadata !== undefined) throw new Error(metadata)
      done.set(peer, to.get(peer)!)
    }
  }
  const snapshot = doc.export({ mode: "snapshot" })
  withScratch(
    () => LoroDoc.fromSnapshot(snapshot),
    (fresh) => {
      if (fresh.oplogVersion().compare(doc.oplogVersion()) !== 0)
        throw new Error("the snapshot does not reproduce the document's version")
      fresh.toJSON()
    },
  )
}

const vv = (m: ReadonlyMap<string, number>) => new VersionVector(new Map(m) as Map<PeerID, number>)
