import { isDeepStrictEqual } from "node:util"
import { type JsonChange, type LoroDoc, type PeerID, LoroDoc as Scratch } from "loro-crdt"
import type { DecodedRanges } from "./FreshDecoder.js"
import { withScratch } from "./withScratch.js"

type Span = { id: { peer: PeerID; counter: number }; len: number }

/**
 * Proves that whatever a pushed blob re-sends (changes the copy already had before the batch)
 * is exactly what the server holds. The copy's import skips known changes unread, so without
 * this a blob could carry known ids with other content: stored, and then a batch load of the
 * log (`importBatch`, how the pool, restores and new devices load) meets two versions of one
 * change and panics. Found by the mutation fuzz (mutants of an update the server already had,
 * each accepted as "nothing new", made the document unloadable).
 *
 * Honest re-sends are rare (a client that exports from its last acknowledged version after a
 * lost ack), so this costs O(document) only for them: the copy's history without the re-sent
 * spans goes into a scratch document, the blob on top, and the re-sent changes must decode to
 * the same JSON there as in the copy. Blobs that re-send nothing cost nothing more: what each
 * blob carries (`carried`, peer → counter range) is what its decode on its own found
 * (`proveBlobsDecode`).
 */
export const proveResendsMatch = (
  doc: LoroDoc,
  from: ReadonlyMap<string, number>,
  blobs: ReadonlyArray<Uint8Array>,
  carried: ReadonlyArray<DecodedRanges>,
) => {
  const ranges = carried.map((decoded) => [...decoded].map(([peer, { start, end }]) => ({ peer, s: start, e: end })))
  // Two blobs of one batch that carry the same ids: judge them one at a time (the pool bisects a
  // refused batch), so the later one is compared with what the earlier one brought.
  const seen = new Map<string, Array<{ s: number; e: number }>>()
  for (const range of ranges)
    for (const { peer, s, e } of range) {
      const others = seen.get(peer) ?? []
      if (others.some((o) => s < o.e && o.s < e)) throw new Error("blobs of one batch carry the same changes")
      seen.set(peer, [...others, { s, e }])
    }
  for (const [i, range] of ranges.entries()) {
    const resent: Array<Span> = []
    for (const { peer, s, e } of range) {
      const known = Math.min(from.get(peer) ?? 0, e)
      if (s < known) resent.push({ id: { peer: peer as PeerID, counter: s }, len: known - s })
    }
    if (resent.length > 0) compare(doc, resent, blobs[i]!)
  }
}

const compare = (doc: LoroDoc, resent: ReadonlyArray<Span>, blob: Uint8Array) => {
  const rest: Array<Span> = []
  for (const [peer, last] of doc.oplogVersion().toJSON()) {
    const gap = resent.find((s) => s.id.peer === peer)
    const cut =
      gap === undefined
        ? [[0, last]]
        : [
            [0, gap.id.counter],
            [gap.id.counter + gap.len, last],
          ]
    for (const [a, b] of cut) if (b! > a!) rest.push({ id: { peer, counter: a! }, len: b! - a! })
  }
  withScratch(
    () => new Scratch(),
    (scratch) => {
      if (rest.length > 0) scratch.import(doc.export({ mode: "updates-in-range", spans: rest }))
      scratch.import(blob)
      for (const span of resent) {
        const idSpan = { peer: span.id.peer, counter: span.id.counter, length: span.len }
        const theirs = scratch.exportJsonInIdSpan(idSpan)
        const ours = doc.exportJsonInIdSpan(idSpan)
        if (!isDeepStrictEqual(opsOf(theirs), opsOf(ours)) || !sameDeps(theirs, ours))
          throw new Error(`the update re-sends changes of peer ${span.id.peer} with other content than the server's`)
      }
    },
  )
}

/**
 * The ops of some changes with their ids and Lamports, whatever the change boundaries: Loro
 * merges consecutive changes of a peer differently in a client's export and in the server's
 * log, and that is not a difference of content.
 */
const opsOf = (changes: ReadonlyArray<JsonChange>) =>
  changes.flatMap((c) => {
    const first = Number(c.id.slice(0, c.id.indexOf("@")))
    return c.ops.map((op) => ({ ...op, lamport: c.lamport + op.counter - first }))
  })

/**
 * A re-sent change starting where one of ours starts has its deps; one starting inside ours
 * (cut elsewhere) depends on the op just before it, as Loro slices changes.
 */
const sameDeps = (theirs: ReadonlyArray<JsonChange>, ours: ReadonlyArray<JsonChange>): boolean => {
  const depsAt = new Map(ours.map((c) => [c.id, [...c.deps].sort()]))
  return theirs.every((c) => {
    const at = c.id.indexOf("@")
    const previous = `${Number(c.id.slice(0, at)) - 1}${c.id.slice(at)}`
    return isDeepStrictEqual([...c.deps].sort(), depsAt.get(c.id) ?? [previous])
  })
}
