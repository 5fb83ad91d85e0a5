import type { HeadlessClient } from "@vibestack/headless"
import { MAIN_DOC } from "@vibestack/schema"
import { LoroDoc } from "loro-crdt"
import type { AuditLog } from "./AuditTransport.js"
import { stateJson } from "./faultEdits.js"
import type { LogRow } from "./serverLog.js"

export interface CheckedClient {
  readonly name: string
  readonly client: HeadlessClient
  /** The engine's cursor sampled through the run (I4: never decreases). */
  readonly cursorSamples: ReadonlyArray<number>
}

const vv = (d: LoroDoc) => JSON.stringify([...d.oplogVersion().toJSON()].sort(([a], [b]) => a.localeCompare(b)))

/** The reference document: the server's log imported into a fresh LoroDoc. */
export const referenceDoc = (log: ReadonlyArray<LogRow>): LoroDoc => {
  const ref = new LoroDoc()
  if (log.length > 0) ref.importBatch(log.map((r) => r.bytes))
  return ref
}

/**
 * TESTING.md I1–I4 for quiesced clients against the server's log (read from SQL) and the
 * audit log of everything the clients were told. Returns the violations (empty: all hold).
 */
export const checkInvariants = async (
  log: ReadonlyArray<LogRow>,
  audit: AuditLog,
  clients: ReadonlyArray<CheckedClient>,
): Promise<Array<string>> => {
  const bad: Array<string> = []
  const bySeq = new Map(log.map((r) => [r.seq, r]))
  log.forEach((r, k) => {
    if (r.seq !== k + 1) bad.push(`log: seq ${r.seq} at position ${k + 1}`)
  })
  // I1: an idempotency key is stored once, and no update is stored twice under two keys.
  const keys = new Map<string, number>()
  const hashes = new Map<string, number>()
  for (const r of log) {
    if (r.key !== null) {
      if (keys.has(r.key)) bad.push(`I1 key ${r.key} stored at seq ${keys.get(r.key)} and ${r.seq}`)
      keys.set(r.key, r.seq)
    }
    if (hashes.has(r.hash)) bad.push(`I1 same bytes stored at seq ${hashes.get(r.hash)} and ${r.seq}`)
    hashes.set(r.hash, r.seq)
  }
  // I1: every acknowledged push is in the log, at the seq it was told, with its bytes and key.
  for (const p of audit.acked()) {
    const row = bySeq.get(p.seq!)
    if (!row) bad.push(`I1 ${p.client} acked key ${p.key} at seq ${p.seq}, not in the log`)
    else if (row.hash !== p.hash) bad.push(`I1 ${p.client} acked key ${p.key} at seq ${p.seq}, log holds other bytes`)
    else if (row.key !== p.key) bad.push(`I1 ${p.client} acked key ${p.key} at seq ${p.seq}, log has key ${row.key}`)
  }
  // Every row in the log was pushed by someone (nothing appears from nowhere).
  const attempted = new Set(audit.pushes.map((p) => p.key))
  for (const r of log)
    if (r.key !== null && !attempted.has(r.key)) bad.push(`I1 seq ${r.seq} key ${r.key} never pushed`)

  const ref = referenceDoc(log)
  const refJson = stateJson(ref)
  const refVv = vv(ref)
  const head = log.length
  for (const { name, client, cursorSamples } of clients) {
    const ws = client.workspaceId
    const doc = client.doc
    const docId = MAIN_DOC
    const outbox = await client.store.outbox(ws, docId)
    if (outbox.length > 0) bad.push(`I3 ${name} outbox not empty: ${outbox.length}`)
    const rejected = await client.store.rejectedOutbox(ws, docId)
    if (rejected.length > 0) bad.push(`I1 ${name} has ${rejected.length} rejected commits`)
    if (stateJson(doc) !== refJson) bad.push(`I3 ${name} JSON differs from the reference`)
    if (vv(doc) !== refVv) bad.push(`I3 ${name} version vector differs from the reference`)
    const cursor = client.engine.cursor
    if (cursor !== head) bad.push(`I3 ${name} cursor ${cursor} != head ${head}`)
    // I2: what it received by pull or socket covers every seq past its snapshot, each as logged.
    const view = audit.view(name)
    for (let seq = view.snapshotCursor + 1; seq <= cursor; seq++) {
      const got = view.seen.get(seq)
      if (got === undefined) bad.push(`I2 ${name} never received seq ${seq}`)
      else if (got !== bySeq.get(seq)?.hash) bad.push(`I4 ${name} seq ${seq} received bytes differ from the log`)
    }
    for (const c of view.conflicts) bad.push(`I4 ${name} one seq, two updates: ${c}`)
    for (let k = 1; k < cursorSamples.length; k++)
      if (cursorSamples[k]! < cursorSamples[k - 1]!)
        bad.push(`I4 ${name} cursor went ${cursorSamples[k - 1]} → ${cursorSamples[k]}`)
  }
  return bad
}
