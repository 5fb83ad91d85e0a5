import type { DocSource } from "../LoroPool.js"

/** An in-memory byte store for tests and benchmarks: an append-only log per document. */
export class MemoryDocSource implements DocSource {
  private readonly docs = new Map<
    string,
    { snapshot: Uint8Array | undefined; snapshotSeq: number; updates: Array<{ seq: number; bytes: Uint8Array }> }
  >()
  private nextSeq = 1
  loads = 0

  async load(ws: string, doc: string) {
    this.loads++
    const d = this.docs.get(`${ws}/${doc}`)
    return d === undefined
      ? { snapshot: undefined, snapshotSeq: 0, updates: [] }
      : { snapshot: d.snapshot, snapshotSeq: d.snapshotSeq, updates: d.updates.slice() }
  }

  /** Appends committed updates; returns the seq of the last one. */
  append(ws: string, doc: string, blobs: ReadonlyArray<Uint8Array>): number {
    const d = this.entry(ws, doc)
    for (const bytes of blobs) d.updates.push({ seq: this.nextSeq++, bytes })
    return this.nextSeq - 1
  }

  /** Replaces the log up to `seq` by a snapshot covering it. */
  compact(ws: string, doc: string, snapshot: Uint8Array, seq: number): void {
    const d = this.entry(ws, doc)
    d.snapshot = snapshot
    d.snapshotSeq = seq
    d.updates = d.updates.filter((u) => u.seq > seq)
  }

  private entry(ws: string, doc: string) {
    const k = `${ws}/${doc}`
    let d = this.docs.get(k)
    if (d === undefined) this.docs.set(k, (d = { snapshot: undefined, snapshotSeq: 0, updates: [] }))
    return d
  }
}
