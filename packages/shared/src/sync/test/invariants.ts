import type { SeqBlob } from "../../protocol/updatesBody.js"
import type { Peer } from "./Peer.js"

const same = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((x, i) => x === b[i])
const vv = (p: { oplogVersion(): { toJSON(): Map<string, number> } }) =>
  JSON.stringify([...p.oplogVersion().toJSON()].sort(([a], [b]) => a.localeCompare(b)))

/** Checks TESTING.md I1–I4 for quiesced peers against the server's log; returns the violations. */
export const checkInvariants = async (
  peers: ReadonlyArray<Peer>,
  log: ReadonlyArray<SeqBlob>,
  reference: { toJSON(): unknown; oplogVersion(): { toJSON(): Map<string, number> } },
  options: { readonly refusals?: boolean } = {},
): Promise<Array<string>> => {
  const bad: Array<string> = []
  const ws = peers[0]!.o.workspaceId
  const docId = peers[0]!.o.docId
  // The log itself: seqs 1..n, and no update stored twice (I1: an idempotency key is stored once).
  log.forEach((r, k) => {
    if (r.seq !== k + 1) bad.push(`log seq ${r.seq} at position ${k}`)
  })
  for (let a = 0; a < log.length; a++)
    for (let b = a + 1; b < log.length; b++)
      if (same(log[a]!.bytes, log[b]!.bytes)) bad.push(`I1 duplicate ${a + 1}=${b + 1}`)
  const refJson = JSON.stringify(reference.toJSON())
  const refVv = vv(reference)
  for (const p of peers) {
    const name = p.o.name
    const outbox = await p.store.outbox(ws, docId)
    if (outbox.length > 0) bad.push(`I1/I3 ${name} outbox not empty: ${outbox.length}`)
    const rejected = await p.store.rejectedOutbox(ws, docId)
    // With refusals in the run, only refused changes may be set aside, and none is lost:
    // each one writes the refused key (or edits what such a change created).
    if (!options.refusals && rejected.length > 0) bad.push(`I1 ${name} has rejected entries`)
    for (const r of rejected)
      if (!r.summary.includes("tasks/bad"))
        bad.push(`I1 ${name} set aside a change the server never refused: ${r.summary}`)
    if (JSON.stringify(p.doc.toJSON()) !== refJson) bad.push(`I3 ${name} JSON differs`)
    if (vv(p.doc) !== refVv) bad.push(`I3 ${name} version vector differs`)
    const cursor = p.engine.cursor
    if (cursor !== log.length) bad.push(`I3 ${name} cursor ${cursor} != ${log.length}`)
    // I2: pulls since the snapshot cover every seq up to the cursor, each equal to the log.
    for (let seq = p.snapshotCursor + 1; seq <= cursor; seq++) {
      const got = p.seen.get(seq)
      if (!got) bad.push(`I2 ${name} skipped seq ${seq}`)
      else if (!same(got, log[seq - 1]!.bytes)) bad.push(`I4 ${name} seq ${seq} bytes differ from the log`)
    }
    // I4: cursors only grow.
    for (let k = 1; k < p.cursors.length; k++) {
      if (p.cursors[k]! < p.cursors[k - 1]!) bad.push(`I4 ${name} cursor went ${p.cursors[k - 1]}→${p.cursors[k]}`)
    }
  }
  return bad
}
