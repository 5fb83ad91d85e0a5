import type { PoolOpArgs, PoolOpName, PoolOpResult } from "./ops/index.js"
import { PoolError, WorkerGone } from "./PoolError.js"
import type { DocKey, WorkerRequest, WorkerResponse } from "./protocol.js"
import { WorkerHandle } from "./WorkerHandle.js"

/** Where the pool (re)loads a document from: the last good snapshot plus the log after it. */
export interface DocSource {
  load(
    ws: string,
    doc: string,
  ): Promise<{
    readonly snapshot: Uint8Array | undefined
    readonly snapshotSeq: number
    readonly updates: ReadonlyArray<{ readonly seq: number; readonly bytes: Uint8Array }>
  }>
}

export interface LoroPoolOptions {
  readonly workers: number
  readonly maxDocsPerWorker: number
  readonly source: DocSource
  /** Per worker call; a worker that does not answer in time is recycled. Default 30 s. */
  readonly callTimeoutMs?: number
}

export type ValidateResult = { readonly ok: true } | { readonly ok: false; readonly reason: string }

export interface PoolStats {
  readonly recycles: number
  readonly refused: number
  readonly validated: number
  readonly docsLoaded: number
}

const MAX_ATTEMPTS = 6

/**
 * The server's isolated Loro pool: worker threads own the server's copies of documents
 * (bounded LRU per worker, documents pinned to a worker by hash of their key), validate
 * untrusted update blobs against them, and run named read operations. The main thread
 * never hands client bytes to Loro. Calls on one document run one at a time, in call order.
 * See README.md for the contract the byte store follows.
 */
export class LoroPool {
  private readonly handles: Array<WorkerHandle>
  private readonly chains = new Map<string, Promise<unknown>>()
  /** Per document, the validated batches awaiting markCommitted/discard, oldest first. */
  private readonly batches = new Map<string, Array<number>>()
  private readonly timeoutMs: number
  private nextBatch = 1
  private nextBuilder = 0
  private closed = false
  private counters = { recycles: 0, refused: 0, validated: 0, docsLoaded: 0 }

  constructor(private readonly options: LoroPoolOptions) {
    if (options.workers < 1 || options.maxDocsPerWorker < 1)
      throw new Error("LoroPool needs at least one worker and doc")
    this.timeoutMs = options.callTimeoutMs ?? 30_000
    this.handles = Array.from({ length: options.workers }, () => this.spawn())
  }

  stats(): PoolStats {
    return { ...this.counters }
  }

  /** Imports each blob into the pool's copy, in order, and keeps those that leave it healthy. */
  validate(
    ws: string,
    doc: string,
    blobs: ReadonlyArray<Uint8Array>,
    atLeastSeq?: number,
  ): Promise<ReadonlyArray<ValidateResult>> {
    return this.importBlobs(ws, doc, blobs, true, atLeastSeq)
  }

  /**
   * Like `validate`, for bytes that were validated before they were stored (the log, a stored
   * snapshot): imports without the health check, which costs a full snapshot export. A blob
   * that does not import (garbage written behind the push path's back, missing dependencies,
   * a Loro crash) is still refused, and the batch goes on with the rest. Same contract after:
   * `markCommitted` or `discard`.
   */
  importStored(ws: string, doc: string, blobs: ReadonlyArray<Uint8Array>): Promise<ReadonlyArray<ValidateResult>> {
    return this.importBlobs(ws, doc, blobs, false)
  }

  private importBlobs(
    ws: string,
    doc: string,
    blobs: ReadonlyArray<Uint8Array>,
    check: boolean,
    atLeastSeq?: number,
  ): Promise<ReadonlyArray<ValidateResult>> {
    const key: DocKey = { ws, doc }
    return this.serialize(key, async () => {
      const batchId = this.nextBatch++
      const accepted: Array<Uint8Array> = []
      const results: Array<ValidateResult> = []
      // Whole batch first; on refusal or crash, bisect. A refusal drops the worker's copy,
      // so the next chunk reloads it and re-applies what this batch already accepted.
      const run = async (chunk: ReadonlyArray<Uint8Array>): Promise<void> => {
        const res = await this.request(key, (reloaded) => ({
          _tag: "Validate",
          key,
          batchId,
          reapply: reloaded ? accepted.slice() : [],
          blobs: chunk,
          check,
          atLeastSeq,
        }))
        if (res._tag === "Ok") {
          accepted.push(...chunk)
          for (const _ of chunk) results.push({ ok: true })
        } else if (res._tag === "Refused" || res._tag === "Crashed") {
          if (chunk.length === 1) results.push({ ok: false, reason: res.reason })
          else {
            const mid = chunk.length >> 1
            await run(chunk.slice(0, mid))
            await run(chunk.slice(mid))
          }
        } else throw unexpected("validate", res)
      }
      if (blobs.length > 0) await run(blobs)
      if (accepted.length > 0) this.pendingOf(key).push(batchId)
      for (const r of results) r.ok ? this.counters.validated++ : this.counters.refused++
      return results
    })
  }

  /**
   * The oldest validated batch of this document was committed; its last update has `upToSeq`
   * and, when given, its first `fromSeq` (a gap before it means the copy missed entries).
   */
  markCommitted(ws: string, doc: string, upToSeq: number, fromSeq?: number): Promise<void> {
    const key: DocKey = { ws, doc }
    return this.serialize(key, async () => {
      const batchId = this.takeOldestBatch(key)
      const req: WorkerRequest =
        batchId === undefined ? { _tag: "Discard", key } : { _tag: "Commit", key, batchId, seq: upToSeq, fromSeq }
      expectOk("markCommitted", await this.request(key, () => req))
    })
  }

  /** The oldest validated batch failed to commit: drop the copy, reload it on next use. */
  discard(ws: string, doc: string): Promise<void> {
    const key: DocKey = { ws, doc }
    return this.serialize(key, async () => {
      this.takeOldestBatch(key)
      expectOk("discard", await this.request(key, () => ({ _tag: "Discard", key })))
    })
  }

  /** A full snapshot of the committed state and the seq it covers (at least `atLeastSeq`). */
  exportSnapshot(ws: string, doc: string, atLeastSeq?: number): Promise<{ bytes: Uint8Array; seq: number }> {
    const key: DocKey = { ws, doc }
    return this.serialize(key, async () => {
      const res = await this.request(key, () => ({ _tag: "ExportSnapshot", key, atLeastSeq }))
      if (res._tag !== "NeedSource") return expectOk("exportSnapshot", res) as { bytes: Uint8Array; seq: number }
      // The copy holds uncommitted updates: build from committed data instead, so `seq` is honest.
      const data = await this.loadSource(key)
      const bytes = await this.buildSnapshot(
        data.snapshot,
        data.updates.map((u) => u.bytes),
      )
      return { bytes, seq: lastSeq(data) }
    })
  }

  /** Builds a snapshot from stored bytes on a throwaway document in a worker. */
  async buildSnapshot(snapshot: Uint8Array | undefined, updates: ReadonlyArray<Uint8Array>): Promise<Uint8Array> {
    const slot = this.nextBuilder++ % this.handles.length
    const res = await this.request(undefined, () => ({ _tag: "Build", snapshot, updates }), slot)
    return expectOk("buildSnapshot", res) as Uint8Array
  }

  /** Runs a named operation (pool/ops) on the document's copy inside its worker. */
  run<K extends PoolOpName>(ws: string, doc: string, op: K, args: PoolOpArgs<K>): Promise<PoolOpResult<K>> {
    const key: DocKey = { ws, doc }
    return this.serialize(key, async () => {
      const res = await this.request(key, () => ({ _tag: "Run", key, op, args }))
      return expectOk(`run ${op}`, res) as PoolOpResult<K>
    })
  }

  async close(): Promise<void> {
    this.closed = true
    await Promise.all(this.handles.map((h) => h.terminate()))
  }

  private spawn(): WorkerHandle {
    return new WorkerHandle(
      this.options.maxDocsPerWorker,
      this.timeoutMs,
      (h) => this.recycle(h),
      (h) => this.recycle(h),
    )
  }

  /** Replaces a dead or poisoned worker; its documents reload lazily from the source. */
  private recycle(handle: WorkerHandle): void {
    const i = this.handles.indexOf(handle)
    if (i < 0 || this.closed) return
    this.counters.recycles++
    this.handles[i] = this.spawn()
    void handle.terminate()
  }

  /**
   * Sends a request to the worker that owns `key` (or `slot`), answering NeedLoad by loading
   * from the source and retrying calls that lost their worker. Crashed recycles the worker
   * and is returned to the caller, which knows whether the request was the culprit.
   */
  private async request(
    key: DocKey | undefined,
    make: (reloaded: boolean) => WorkerRequest,
    slot = key === undefined ? 0 : slotOf(key, this.handles.length),
  ): Promise<WorkerResponse> {
    let reloaded = false
    let lastProblem = "the pool is closed"
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      if (this.closed) break
      const handle = this.handles[slot]!
      let res: WorkerResponse
      try {
        res = await handle.call(make(reloaded))
      } catch (err) {
        if (!(err instanceof WorkerGone)) throw err
        lastProblem = err.message
        continue
      }
      if (res._tag === "Poisoned") {
        lastProblem = "worker poisoned by an earlier crash"
        this.recycle(handle)
        continue
      }
      if (res._tag === "Crashed") this.recycle(handle)
      if (res._tag !== "NeedLoad") return res
      if (key === undefined) break
      await this.load(handle, key)
      reloaded = true
      lastProblem = "the document kept leaving the worker's cache"
    }
    throw new PoolError({ kind: "Unavailable", message: `the Loro pool could not complete the call (${lastProblem})` })
  }

  private async load(handle: WorkerHandle, key: DocKey): Promise<void> {
    const data = await this.loadSource(key)
    this.counters.docsLoaded++
    const res = await handle.call({
      _tag: "Load",
      key,
      snapshot: data.snapshot,
      updates: data.updates.map((u) => u.bytes),
      seq: lastSeq(data),
    })
    if (res._tag === "Crashed") this.recycle(handle)
    expectOk("load", res)
  }

  private async loadSource(key: DocKey) {
    try {
      return await this.options.source.load(key.ws, key.doc)
    } catch (err) {
      throw new PoolError({ kind: "Unavailable", message: `could not load ${key.ws}/${key.doc}: ${String(err)}` })
    }
  }

  private pendingOf(key: DocKey): Array<number> {
    const k = keyString(key)
    let list = this.batches.get(k)
    if (list === undefined) this.batches.set(k, (list = []))
    return list
  }

  private takeOldestBatch(key: DocKey): number | undefined {
    const k = keyString(key)
    const list = this.batches.get(k)
    const id = list?.shift()
    if (list !== undefined && list.length === 0) this.batches.delete(k)
    return id
  }

  private serialize<A>(key: DocKey, f: () => Promise<A>): Promise<A> {
    const k = keyString(key)
    const prev = this.chains.get(k) ?? Promise.resolve()
    const next = prev.then(f, f)
    const tail = next.then(
      () => undefined,
      () => undefined,
    )
    this.chains.set(k, tail)
    void tail.then(() => {
      if (this.chains.get(k) === tail) this.chains.delete(k)
    })
    return next
  }
}

const keyString = (k: DocKey) => `${k.ws}\u0000${k.doc}`

/** FNV-1a: a stable worker per document, so each document has one owner. */
const slotOf = (key: DocKey, n: number): number => {
  const s = keyString(key)
  let h = 0x811c9dc5
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193)
  return (h >>> 0) % n
}

const lastSeq = (d: { snapshotSeq: number; updates: ReadonlyArray<{ seq: number }> }) =>
  d.updates.reduce((max, u) => Math.max(max, u.seq), d.snapshotSeq)

const unexpected = (what: string, res: WorkerResponse) =>
  new PoolError({
    kind: "Internal",
    message: `${what}: ${res._tag === "Crashed" || res._tag === "Refused" ? res.reason : res._tag === "Failed" ? res.message : res._tag}`,
  })

const expectOk = (what: string, res: WorkerResponse): unknown => {
  if (res._tag === "Ok") return res.value
  throw unexpected(what, res)
}
