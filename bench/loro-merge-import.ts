/**
 * A second Loro cost behind the engine writers' imports (loro-crdt 1.17.1; see
 * `loro-concurrent-import.ts` for the first): five devices edit one document and each receives
 * the others' changes in order but at irregular moments. Most imports cost tens of
 * microseconds, whatever the document's size. One kind grows with the whole history: the
 * document's own heads are two or more (it holds concurrent changes nobody has built on yet) and
 * the arriving change was made on top of exactly those heads, and its author's previous op is
 * not inside one of them (the author had imported a change built on its own last one). Then
 * every head is shared at once, the author's previous op is left alone in the common-ancestor
 * walk, and the diff starts from the document's root (`find_common_ancestor` in Loro's dag.rs
 * gives up on an unmatched branch). With one head, or with the author's previous op inside the
 * heads, the same import costs what any other does. The work is in computing the state's diff,
 * not in the oplog: imported detached, the import is cheap and `attach()` pays it; importing the
 * change alone in `importBatch` or detached and attached at once costs the same.
 *
 * `bench/engine-writers.ts` meets it through the product's engine: its imports' p50 is ~0.15 ms,
 * but the few over 0.3 ms take more than half of all import time, and they grow as the ramp's
 * documents do. Rerun after a Loro upgrade.
 *
 * Each device's queue is drained while a seeded coin comes up (probability `p`) before it makes
 * its next edit, so changes arrive in causal order with irregular lag. Prints, per kind of
 * import (heads before it, the change's deps, whether they are exactly those heads, whether the
 * author's previous op is inside them), the count, the mean and how many took over 0.5 ms, over
 * the second half of the edits.
 *
 * Run: node --import tsx bench/loro-merge-import.ts [edits=8000] [p=0.9]
 */
import { seededRandom } from "@vibestack/schema"
import { fmt, table } from "@vibestack/server/src/test/stats.js"
import { growLoroMemoryInSteps, keepLoroHeadroom } from "@vibestack/shared"
import * as loro from "loro-crdt"
import { decodeImportBlobMeta, LoroDoc, type OpId, type PeerID } from "loro-crdt"

growLoroMemoryInSteps(loro)
const [edits = 8000, p = 0.9] = process.argv.slice(2).map(Number)
const DEVICES = 5

const docs = Array.from({ length: DEVICES }, () => new LoroDoc())
const queues: Array<Array<Uint8Array>> = docs.map(() => [])
const random = seededRandom(1)
const coin = () => random() < p
const sameIds = (a: ReadonlyArray<OpId>, b: ReadonlyArray<OpId>) =>
  a.length === b.length && a.every((x) => b.some((y) => y.peer === x.peer && y.counter === x.counter))

/** The op its author made last before this blob's change (none for the author's first). */
const authorsPreviousOp = (meta: ReturnType<typeof decodeImportBlobMeta>): OpId | undefined => {
  const [peer] = [...(meta.partialEndVersionVector.toJSON() as Map<PeerID, number>).keys()]
  const start = (meta.partialStartVersionVector.toJSON() as Map<PeerID, number>).get(peer!) ?? 0
  return start === 0 ? undefined : { peer: peer!, counter: start - 1 }
}
/** Whether the change holding `head` (a head of `doc`) also holds op `counter` of its peer. */
const covers = (doc: LoroDoc, head: OpId, counter: number): boolean => {
  const change = doc.getChangeAt(head)
  return change.counter <= counter && counter < change.counter + change.length
}

/** "1 head", "2 heads", "3+ heads". */
const count = (n: number, what: string) => (n === 1 ? `1 ${what}` : n >= 3 ? `3+ ${what}s` : `${n} ${what}s`)

const kinds = new Map<string, { n: number; ms: number; slow: number }>()
const whole = { n: 0, ms: 0, slow: 0, slowMs: 0 }
for (let i = 0; i < edits; i++) {
  const doc = docs[i % DEVICES]!
  const queue = queues[i % DEVICES]!
  while (queue.length > 0 && coin()) {
    const blob = queue.shift()!
    const heads = doc.oplogFrontiers()
    const meta = decodeImportBlobMeta(blob, false)
    const deps = meta.startFrontiers
    const prev = authorsPreviousOp(meta)
    const prevInside = prev === undefined || deps.some((d) => d.peer === prev.peer && covers(doc, d, prev.counter))
    const t = performance.now()
    doc.import(blob)
    const ms = performance.now() - t
    if (i < edits / 2) continue
    const kind = `${count(heads.length, "head")}, change on ${count(deps.length, "dep")}, ${sameIds(heads, deps) ? "on exactly the heads" : "not on exactly the heads"}, author's previous op ${prevInside ? "inside" : "outside"} them`
    const k = kinds.get(kind) ?? { n: 0, ms: 0, slow: 0 }
    k.n++
    k.ms += ms
    whole.n++
    whole.ms += ms
    if (ms > 0.5) {
      k.slow++
      whole.slow++
      whole.slowMs += ms
    }
    kinds.set(kind, k)
  }
  const from = doc.oplogVersion()
  doc.getMap("tasks").set(`t${i}`, `task ${i}`)
  doc.commit()
  const update = doc.export({ mode: "update", from })
  for (const [o, q] of queues.entries()) if (o !== i % DEVICES) q.push(update)
  keepLoroHeadroom()
}
console.log(
  `${DEVICES} devices, ${edits} edits of one map key each, drained with p = ${p}; imports over the second half:\n`,
)
console.log(
  table(
    ["kind of import", "imports", "mean ms", "over 0.5 ms"],
    [...kinds]
      .sort((a, b) => b[1].ms - a[1].ms)
      .map(([kind, k]) => [kind, String(k.n), fmt(k.ms / k.n, 3), String(k.slow)]),
  ),
)
console.log(
  `\nall: ${whole.n} imports, mean ${fmt(whole.ms / whole.n, 3)} ms; the ${whole.slow} over 0.5 ms took ${fmt((100 * whole.slowMs) / whole.ms, 0)} % of the time`,
)
