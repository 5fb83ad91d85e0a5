import { equalBytes } from "@vibestack/shared"
import type { LoroDoc, VersionVector } from "loro-crdt"
import type { DecodedRanges, FreshDecoder } from "./FreshDecoder.js"

/**
 * Proves, in O(update), that each pushed blob decodes on its own, as in an empty document (its
 * deps are not there, so Loro keeps its changes pending, after decoding every block), and
 * returns what each one carries (`resends.ts` needs it). The copy skips changes it already has
 * without reading them, so a blob can carry known ids with content nobody validated: readers
 * that follow the log in order skip them too, but one that decodes the blob alone (out of
 * order, history metadata) would meet it. Found by the mutation fuzz (a mutant that relabelled
 * a change as the writer's first: accepted, then a panic when imported into an empty document).
 */
export const proveBlobsDecode = (
  blobs: ReadonlyArray<Uint8Array>,
  decoder: FreshDecoder,
  reencoded?: Reencoded,
): Array<DecodedRanges> =>
  // A blob byte for byte equal to the re-encoded changes decodes as they did (a push of one
  // commit usually is: Loro's encoder made both): its decode would repeat that one.
  blobs.map((blob) =>
    reencoded !== undefined && equalBytes(blob, reencoded.bytes) ? reencoded.ranges : decoder.decode(blob),
  )

/** The changes after `from` as the copy re-encoded them, and what their decode carried. */
export interface Reencoded {
  readonly bytes: Uint8Array
  readonly ranges: DecodedRanges
}

/**
 * Proves, in O(update), that the changes after version `from` re-encode and decode: they are
 * exported from the copy's oplog as an update from `from` (the same change-block encoder
 * snapshots use; `updates-in-range` of the same spans exports the same changes at twice the
 * cost), and decoded as in an empty document (it may keep them pending: their deps are not
 * there), which must find exactly the range `from`..`to`, peer by peer.
 * Throws with the reason; a Loro panic propagates (the pool refuses and recycles). Returns the
 * re-encoded bytes and their decoded ranges (undefined when nothing is new).
 */
export const proveReencodes = (
  doc: LoroDoc,
  from: VersionVector,
  to: ReadonlyMap<string, number>,
  decoder: FreshDecoder,
): Reencoded | undefined => {
  const fromMap = from.toJSON() as ReadonlyMap<string, number>
  const spans: Array<{ peer: string; start: number; end: number }> = []
  for (const [peer, end] of to) {
    const start = fromMap.get(peer) ?? 0
    if (end > start) spans.push({ peer, start, end })
  }
  if (spans.length === 0) return undefined
  const bytes = doc.export({ mode: "update", from })
  const decoded = decoder.decode(bytes)
  for (const { peer, start, end } of spans) {
    const range = decoded.get(peer)
    if (range?.start !== start || range.end !== end)
      throw new Error(`the changes of peer ${peer} do not re-encode to their own range`)
  }
  if (decoded.size !== spans.length) throw new Error("the changes re-encode with changes of other peers")
  return { bytes, ranges: decoded }
}
