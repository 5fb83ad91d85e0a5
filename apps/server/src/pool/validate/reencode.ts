import { type ImportStatus, LoroDoc, type PeerID } from "loro-crdt"
import { withScratch } from "./withScratch.js"

/** Per peer, the op counters `[start, end)` a decode brought in, applied or pending. */
export type DecodedRanges = ReadonlyMap<string, { readonly start: number; readonly end: number }>

/**
 * What a scratch document's import decoded: its applied changes (`success`) and those it keeps
 * pending (their deps are not there). This is the decoded changes' own ids, not a header's
 * claim about them, and it comes with the import, where a header decode
 * (`decodeImportBlobMeta`) is a second pass over the bytes.
 */
const decodedRanges = (status: ImportStatus): DecodedRanges => {
  const ranges = new Map<string, { start: number; end: number }>()
  for (const part of [status.success, status.pending ?? new Map()])
    for (const [peer, { start, end }] of part) {
      const seen = ranges.get(peer)
      ranges.set(
        peer,
        seen === undefined ? { start, end } : { start: Math.min(seen.start, start), end: Math.max(seen.end, end) },
      )
    }
  return ranges
}

/**
 * Proves, in O(update), that each pushed blob decodes on its own, in a scratch document (its
 * deps are not there, so Loro keeps its changes pending, after decoding every block), and
 * returns what each one carries (`resends.ts` needs it). The copy skips changes it already has
 * without reading them, so a blob can carry known ids with content nobody validated: readers
 * that follow the log in order skip them too, but one that decodes the blob alone (out of
 * order, history metadata) would meet it. Found by the mutation fuzz (a mutant that relabelled
 * a change as the writer's first: accepted, then a panic when imported into an empty document).
 */
export const proveBlobsDecode = (blobs: ReadonlyArray<Uint8Array>): Array<DecodedRanges> =>
  blobs.map((blob) =>
    withScratch(
      () => new LoroDoc(),
      (scratch) => decodedRanges(scratch.import(blob)),
    ),
  )

/**
 * Proves, in O(update), that the changes between two versions re-encode and decode: they
 * are exported from the copy's oplog as `updates-in-range` (the same change-block encoder
 * snapshots use), and a scratch document decodes every change block of it (it may keep them
 * pending: their deps are not there) and finds exactly that range, peer by peer.
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
  const decoded = withScratch(
    () => new LoroDoc(),
    (scratch) => decodedRanges(scratch.import(bytes)),
  )
  for (const { id, len } of spans) {
    const range = decoded.get(id.peer)
    if (range?.start !== id.counter || range.end !== id.counter + len)
      throw new Error(`the changes of peer ${id.peer} do not re-encode to their own range`)
  }
  if (decoded.size !== spans.length) throw new Error("the changes re-encode with changes of other peers")
}
