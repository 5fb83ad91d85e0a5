import { decodeImportBlobMeta, LoroDoc, type PeerID } from "loro-crdt"
import { withScratch } from "./withScratch.js"

/**
 * Proves, in O(update), that each pushed blob decodes on its own, in a scratch document (its
 * deps are not there, so Loro keeps its changes pending, after decoding every block). The copy
 * skips changes it already has without reading them, so a blob can carry known ids with
 * content nobody validated: readers that follow the log in order skip them too, but one that
 * decodes the blob alone (out of order, history metadata) would meet it. Found by the mutation
 * fuzz (a mutant that relabelled a change as the writer's first: accepted, then a panic when
 * imported into an empty document).
 */
export const proveBlobsDecode = (blobs: ReadonlyArray<Uint8Array>): void => {
  for (const blob of blobs)
    withScratch(
      () => new LoroDoc(),
      (scratch) => scratch.import(blob),
    )
}

/**
 * Proves, in O(update), that the changes between two versions re-encode and decode: they
 * are exported from the copy's oplog as `updates-in-range` (the same change-block encoder
 * snapshots use), the export's header names exactly that range, and a scratch document
 * decodes every change block of it (it may keep them pending: their deps are not there).
 * Throws with the reason; a Loro panic propagates (the pool refuses and recycles).
 */
export const proveReencodes = (doc: LoroDoc, from: ReadonlyMap<string, number>, to: ReadonlyMap<string, number>) => {
  const spans: Array<{ id: { peer: PeerID; counter: number }; len: number }> = []
  for (const [peer, end] of to) {
    const start = from.get(peer) ?? 0
    if (end > start) spans.push({ id: { peer: peer as PeerID, counter: start }, len: end - start })
  }
  if (spans.length === 0) return
  const bytes = doc.export({ mode: "updates-in-range", spans })
  const meta = decodeImportBlobMeta(bytes, true)
  const start = meta.partialStartVersionVector.toJSON()
  const end = meta.partialEndVersionVector.toJSON()
  for (const { id, len } of spans) {
    if ((start.get(id.peer) ?? 0) !== id.counter || end.get(id.peer) !== id.counter + len)
      throw new Error(`the changes of peer ${id.peer} do not re-encode to their own range`)
  }
  withScratch(
    () => new LoroDoc(),
    (scratch) => scratch.import(bytes),
  )
}
