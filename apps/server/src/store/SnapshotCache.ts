/** A document's snapshot and the seq it covers. */
export interface CachedSnapshot {
  readonly seq: number
  readonly bytes: Uint8Array
}

/**
 * The newest snapshots of recently loaded documents, in memory, bounded by bytes (the one served
 * least recently goes first). A new device's first load of a 100,000-task document read its 24 MB
 * snapshot from Postgres (bytea, hex on the wire) in 0.6-1.2 s every time; from here it is sent
 * as is. The caller serves an entry while it is the newest stored snapshot and that one may be
 * served (`snapshotServable`). A document reset (a repair rewrote its log) drops its entry,
 * and a `put` read before that reset is ignored (`generation`), so no copy of the old log stays.
 */
export class SnapshotCache {
  /** In the order they were last used (a Map keeps insertion order). */
  private readonly entries = new Map<string, CachedSnapshot>()
  /** Bumped by each reset of a document. */
  private readonly generations = new Map<string, number>()
  private size = 0

  constructor(private readonly maxBytes: number) {}

  /** Read before loading a snapshot elsewhere; `put` it back with the snapshot. */
  generation(ws: string, doc: string): number {
    return this.generations.get(key(ws, doc)) ?? 0
  }

  get(ws: string, doc: string): CachedSnapshot | undefined {
    const k = key(ws, doc)
    const hit = this.entries.get(k)
    if (hit === undefined) return undefined
    this.entries.delete(k)
    this.entries.set(k, hit)
    return hit
  }

  /** Keeps `snap` unless the document was reset since `generation`, or a newer one is kept. */
  put(ws: string, doc: string, snap: CachedSnapshot, generation: number): void {
    const k = key(ws, doc)
    if (generation !== this.generation(ws, doc) || snap.bytes.byteLength > this.maxBytes) return
    const old = this.entries.get(k)
    if (old !== undefined && old.seq >= snap.seq) return
    this.remove(k)
    this.entries.set(k, snap)
    this.size += snap.bytes.byteLength
    for (const [oldest] of this.entries) {
      if (this.size <= this.maxBytes) break
      this.remove(oldest)
    }
  }

  /** The document's log was rewritten: forget its snapshot, and refuse puts read before now. */
  reset(ws: string, doc: string): void {
    const k = key(ws, doc)
    this.generations.set(k, this.generation(ws, doc) + 1)
    this.remove(k)
  }

  get bytes(): number {
    return this.size
  }

  private remove(k: string): void {
    const old = this.entries.get(k)
    if (old === undefined) return
    this.entries.delete(k)
    this.size -= old.bytes.byteLength
  }
}

const key = (ws: string, doc: string) => `${ws}\n${doc}`
