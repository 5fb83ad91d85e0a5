import { decodeImportBlobMeta, LoroDoc, type PeerID } from "loro-crdt"
import { withScratch } from "./withScratch.js"

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
