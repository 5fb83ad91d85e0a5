import { Pace } from "./callBudget.js"
import type { PoolOpArgs, PoolOpName, PoolOpResult } from "./ops/index.js"
import { PoolError, WorkerGone } from "./PoolError.js"
import type {
  Answer,
  CommitItem,
  DocKey,
  ItemResult,
  NotDone,
  Ok,
  RunRequest,
  Snapshot,
  Validated,
  ValidateItem,
  WorkerRequest,
  WorkerResponse,
} from "./protocol.js"
import { type CallObserver, WorkerHandle } from "./WorkerHandle.js"

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
  /**
   * The log's last seq (cheap). Asked only when a blob depends on ops the copy lacks: if the
   * log grew past the copy (another node committed), the copy is reloaded and the blob retried.
   */
  head?(ws: string, doc: string): Promise<number>
}

export interface LoroPoolOptions {
  readonly workers: number
  readonly maxDocsPerWorker: number
  readonly source: DocSource
  /**
   * Base budget per worker call (default 30 s), grown with the bytes the call moves
   * (`callBudget.ts`); a worker that does not answer in time is recycled.
   */
  readonly callTimeoutMs?: number
  /** Called whenever a worker is replaced (crash, timeout, exit), with the documents it was busy with. */
  readonly onRecycle?: (reason: string, detail: RecycleDetail) => void
  /** Called after every worker call (metrics). */
  readonly onCall?: CallObserver
}

export interface RecycleDetail {
  readonly cause: "timeout" | "crash" | "exit" | "poisoned"
  /** `ws/doc` of the documents concerned (the call that timed out or crashed, or those in flight). */
  readonly docs: ReadonlyArray<string>
}

export type ValidateResult =
  | { readonly ok: true }
  | {
      readonly ok: false
      readonly reason: string
      /** Loro panicked on this very blob (the pool isolated it): count it against its sender. */
      readonly crashed?: boolean
    }

/** One document's batch for `validateMany`. */
export interface ValidateRequest {
  readonly ws: string
  readonly doc: string
  readonly blobs: ReadonlyArray<Uint8Array>
  readonly atLeastSeq?: number | undefined
}

/** One document's answer in `runMany`. */
export type RunOutcome<V> = { readonly ok: true; readonly value: V } | { readonly ok: false; readonly error: PoolError }

/** A batch's outcome: per-blob results and the id to commit it by, or why the pool could not judge it. */
export type ValidateOutcome =
  | { readonly _tag: "Judged"; readonly batchId: number; readonly results: ReadonlyArray<ValidateResult> }
  | { readonly _tag: "Failed"; readonly error: PoolError }

export interface PoolStats {
  readonly recycles: number
  readonly refused: number
  readonly validated: number
  readonly docsLoaded: number
  readonly crashes: number
  /** Workers with a call in flight now. */
  readonly busyWorkers: number
}

const MAX_ATTEMPTS = 6

/** Per document of a `validateMany` call: what is left to judge and what was judged. */
interface Job {
  readonly key: DocKey
  readonly batchId: number
  readonly check: boolean
  readonly atLeastSeq: number | undefined
  /** Chunks still to send, front first (a refused or crashed chunk is split in two). */
  readonly chunks: Array<ReadonlyArray<Uint8Array>>
  readonly accepted: Array<Uint8Array>
  /** Per blob, in order, once judged. */
  readonly results: Array<ValidateResult>
  /** The copy was (re)loaded during this call: resend what this batch already accepted. */
  reloaded: boolean
  /** Rounds in a row without a verdict (worker gone or poisoned, document evicted). */
  attempts: number
  /** Missing dependencies already led to one reload against the log's head. */
  headChecked: boolean
  lastProblem: string
  error: PoolError | undefined
}

/**
 * The server's isolated Loro pool: worker threads own the server's copies of documents
 * (bounded LRU per worker, documents pinned to a worker by hash of their key), validate
 * untrusted update blobs against them, and run named read operations. The main thread
 * never hands client bytes to Loro. Calls on one document run one at a time, in call order.
 * One `validateMany` carries many documents' batches in one message per worker. A spare
 * worker is kept warm, so a recycled worker is replaced at once. See README.md.
 */
export class LoroPool {
  private readonly handles: Array<WorkerHandle>
  private spare: WorkerHandle | undefined
  private readonly chains = new Map<string, Promise<unknown>>()
  /** Per document, the validated batches awaiting commit/discard, oldest first. */
  private readonly batches = new Map<string, Array<number>>()
  private readonly timeoutMs: number
  private nextBatch = 1
  private nextBuilder = 0
  private closed = false
  private counters = { recycles: 0, refused: 0, validated: 0, docsLoaded: 0, crashes: 0 }
  /** How fast this pool's operations have run lately: call budgets follow it (`callBudget.ts`). */
  private readonly pace = new Pace()
  private readonly placement: Placement

  constructor(private readonly options: LoroPoolOptions) {
    if (options.workers < 1 || options.maxDocsPerWorker < 1)
      throw new Error("LoroPool needs at least one worker and doc")
    this.timeoutMs = options.callTimeoutMs ?? 30_000
    this.handles = Array.from({ length: options.workers }, () => this.spawn())
    this.spare = this.spawn()
    this.placement = new Placement(
      options.workers,
      // Well past what the workers' caches hold: a forgotten document had left its worker anyway.
      options.workers * options.maxDocsPerWorker * 4,
      (k) => this.batches.has(k) || this.chains.has(k),
      (key, slot) => void this.request(key, () => ({ _tag: "Discard", keys: [key] }), slot).catch(() => undefined),
    )
  }

  stats(): PoolStats {
    return { ...this.counters, busyWorkers: this.handles.filter((h) => h.busy).length }
  }

  /** Imports each blob into the pool's copy, in order, and keeps those that leave it healthy. */
  async validate(
    ws: string,
    doc: string,
    blobs: ReadonlyArray<Uint8Array>,
    atLeastSeq?: number,
  ): Promise<ReadonlyArray<ValidateResult>> {
    return judged(await this.judge([{ ws, doc, blobs, atLeastSeq }], true))
  }

  /**
   * Validates many documents' batches at once: one message per worker for all of them (each
   * document's own blobs still in order). Documents must be distinct. Commit each judged batch
   * with `commitMany` (by its `batchId`) or drop it with `discard`.
   */
  validateMany(requests: ReadonlyArray<ValidateRequest>): Promise<ReadonlyArray<ValidateOutcome>> {
    return this.judge(requests, true)
  }

  /**
   * Like `validate`, for bytes that were validated before they were stored (the log, a stored
   * snapshot): imports without the health check. A blob that does not import (garbage written
   * behind the push path's back, missing dependencies, a Loro crash) is still refused, and the
   * batch goes on with the rest. Same contract after: `markCommitted` or `discard`.
   */
  async importStored(
    ws: string,
    doc: string,
    blobs: ReadonlyArray<Uint8Array>,
  ): Promise<ReadonlyArray<ValidateResult>> {
    return judged(await this.judge([{ ws, doc, blobs }], false))
  }

  /** `importStored` for many documents in one message per worker (the projection's group turn). */
  importStoredMany(requests: ReadonlyArray<ValidateRequest>): Promise<ReadonlyArray<ValidateOutcome>> {
    return this.judge(requests, false)
  }

  /**
   * Judged batches were committed as seqs `fromSeq..seq`. Sent without waiting: the worker
   * handles messages in order, so a later call on the document sees the commit.
   */
  commitMany(
    items: ReadonlyArray<{ ws: string; doc: string; batchId: number; seq: number; fromSeq?: number | undefined }>,
  ): void {
    const commits = items.map((it): CommitItem => {
      const key = { ws: it.ws, doc: it.doc }
      this.forgetBatch(key, it.batchId)
      return { key, batchId: it.batchId, seq: it.seq, fromSeq: it.fromSeq }
    })
    for (const [slot, list] of this.bySlot(commits, (c) => c.key)) this.handles[slot]!.postCommits(list)
  }

  /**
   * The oldest validated batch of this document was committed; its last update has `upToSeq`
   * and, when given, its first `fromSeq` (a gap before it means the copy missed entries).
   * The mark is posted, as `commitMany`'s are: it rides on the worker's next message, which the
   * worker handles after it, so no later call on the document sees the copy uncommitted (the
   * projection saved a round trip per batch). With no batch to commit the copy is dropped.
   */
  markCommitted(ws: string, doc: string, upToSeq: number, fromSeq?: number): Promise<void> {
    const key: DocKey = { ws, doc }
    return this.serialize([key], async () => {
      const batchId = this.takeOldestBatch(key)
      if (batchId === undefined) {
        expectOk("markCommitted", await this.request(key, () => ({ _tag: "Discard", keys: [key] })))
        return
      }
      if (this.closed) throw unavailable("the pool is closed")
      this.commitMany([{ ws, doc, batchId, seq: upToSeq, fromSeq }])
    })
  }

  /** A validated batch failed to commit: drop the copy (and its pending batches), reload on next use. */
  discard(ws: string, doc: string): Promise<void> {
    const key: DocKey = { ws, doc }
    return this.serialize([key], async () => {
      this.batches.delete(keyString(key))
      expectOk("discard", await this.request(key, () => ({ _tag: "Discard", keys: [key] })))
    })
  }

  /** A full snapshot of the committed state and the seq it covers (at least `atLeastSeq`). */
  exportSnapshot(ws: string, doc: string, atLeastSeq?: number): Promise<Snapshot> {
    const key: DocKey = { ws, doc }
    return this.serialize([key], async () => {
      const res = await this.request(key, () => ({ _tag: "ExportSnapshot", key, atLeastSeq }))
      if (res._tag !== "NeedSource") return expectOk("exportSnapshot", res)
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
    return expectOk("buildSnapshot", res)
  }

  /** Runs a named operation (pool/ops) on the document's copy inside its worker. */
  run<K extends PoolOpName>(ws: string, doc: string, op: K, args: PoolOpArgs<K>): Promise<PoolOpResult<K>> {
    const key: DocKey = { ws, doc }
    return this.serialize([key], async () => {
      const res = await this.request(key, (): RunRequest<K> => ({ _tag: "Run", key, op, args }))
      return expectOk(`run ${op}`, res)
    })
  }

  /**
   * `run` on many distinct documents: one message per worker for all of them, each answered on
   * its own. A document that left its worker's cache (or lost its worker) is run again alone,
   * through `run`'s own loading and retries.
   */
  runMany<K extends PoolOpName>(
    items: ReadonlyArray<{ readonly ws: string; readonly doc: string; readonly op: K; readonly args: PoolOpArgs<K> }>,
  ): Promise<ReadonlyArray<RunOutcome<PoolOpResult<K>>>> {
    const keys = items.map((it): DocKey => ({ ws: it.ws, doc: it.doc }))
    const first = this.serialize(keys, async () => {
      const bySlot = this.bySlot([...keys.keys()], (i) => keys[i]!)
      const answers: Array<Answer<RunRequest<K>> | undefined> = items.map(() => undefined)
      await Promise.all(
        [...bySlot].map(async ([slot, at]) => {
          if (this.closed) return
          const handle = this.handles[slot]!
          const request = at.map(
            (i): RunRequest<K> => ({ _tag: "Run", key: keys[i]!, op: items[i]!.op, args: items[i]!.args }),
          )
          let res: WorkerResponse
          try {
            res = await handle.call({ _tag: "RunMany", items: request })
          } catch (err) {
            if (err instanceof WorkerGone) return // each is run again alone below
            throw err
          }
          if (res._tag === "Poisoned") return this.recycle(handle, "worker poisoned by an earlier crash", "poisoned")
          if (res._tag !== "Ok") {
            for (const i of at) answers[i] = res
            return
          }
          const each = res.value as ReadonlyArray<Answer<RunRequest<K>>>
          const crashed = at.filter((_, n) => each[n]?._tag === "Crashed")
          if (crashed.length > 0) {
            this.counters.crashes++
            this.recycle(
              handle,
              "Loro panicked in an operation",
              "crash",
              crashed.map((i) => keys[i]!),
            )
          }
          at.forEach((i, n) => {
            answers[i] = each[n]
          })
        }),
      )
      return answers
    })
    return first.then((answers) =>
      Promise.all(
        items.map(async (it, i): Promise<RunOutcome<PoolOpResult<K>>> => {
          const a = answers[i]
          if (a?._tag === "Ok") return { ok: true, value: a.value as PoolOpResult<K> }
          if (a?._tag === "Crashed" || a?._tag === "Failed") return { ok: false, error: unexpected(`run ${it.op}`, a) }
          try {
            return { ok: true, value: await this.run(it.ws, it.doc, it.op, it.args) }
          } catch (err) {
            return { ok: false, error: err instanceof PoolError ? err : unavailable(String(err)) }
          }
        }),
      ),
    )
  }

  async close(): Promise<void> {
    this.closed = true
    await Promise.all([...this.handles, ...(this.spare ? [this.spare] : [])].map((h) => h.terminate()))
  }

  private spawn(): WorkerHandle {
    return new WorkerHandle(
      this.options.maxDocsPerWorker,
      this.timeoutMs,
      (h, call) =>
        this.recycle(h, `a ${call.op} call ran past its budget of ${call.budgetMs} ms`, "timeout", call.docs),
      (h) => this.recycle(h, "the worker exited", "exit"),
      this.options.onCall,
      this.pace,
    )
  }

  /** Replaces a dead or poisoned worker by the warm spare; its documents reload lazily from the source. */
  private recycle(
    handle: WorkerHandle,
    reason: string,
    cause: RecycleDetail["cause"],
    docs: ReadonlyArray<DocKey> = handle.inFlightDocs(),
  ): void {
    const i = this.handles.indexOf(handle)
    if (i < 0 || this.closed) return
    this.counters.recycles++
    this.handles[i] = this.spare ?? this.spawn()
    this.spare = this.spawn()
    void handle.terminate()
    this.options.onRecycle?.(reason, { cause, docs: [...new Set(docs.map((k) => `${k.ws}/${k.doc}`))] })
  }

  /**
   * The batch judge behind validate, validateMany and importStored. Round after round, every
   * document with blobs left sends its front chunk, one message per worker. A refused or
   * crashing chunk of several blobs is split in two (a refusal drops the worker's copy, so the
   * next chunk reloads it and re-applies what the batch already accepted); documents a crash
   * left unjudged go again to the fresh worker. Every loop is bounded.
   */
  private judge(requests: ReadonlyArray<ValidateRequest>, check: boolean): Promise<ReadonlyArray<ValidateOutcome>> {
    const keys = requests.map((r) => ({ ws: r.ws, doc: r.doc }))
    return this.serialize(keys, async () => {
      const jobs: Array<Job> = requests.map((r, i) => ({
        key: keys[i]!,
        batchId: this.nextBatch++,
        check,
        atLeastSeq: r.atLeastSeq,
        chunks: r.blobs.length > 0 ? [r.blobs] : [],
        accepted: [],
        results: [],
        reloaded: false,
        attempts: 0,
        headChecked: false,
        lastProblem: "",
        error: undefined,
      }))
      for (let round = 0; round < 10_000; round++) {
        const open = jobs.filter((j) => j.error === undefined && j.chunks.length > 0)
        if (open.length === 0) break
        // At most half a worker's cache per message, so loading the documents of one round
        // cannot evict the others before they are judged.
        const perWorker = Math.max(1, this.options.maxDocsPerWorker >> 1)
        const bySlot = this.bySlot(open, (j) => j.key)
        await Promise.all([...bySlot].map(([slot, list]) => this.judgeRound(slot, list.slice(0, perWorker))))
      }
      return jobs.map((j): ValidateOutcome => {
        if (j.error !== undefined) return { _tag: "Failed", error: j.error }
        if (j.accepted.length > 0) this.pendingOf(j.key).push(j.batchId)
        for (const r of j.results) r.ok ? this.counters.validated++ : this.counters.refused++
        return { _tag: "Judged", batchId: j.batchId, results: j.results }
      })
    })
  }

  /** One message to one worker for the front chunk of each job; applies the answers. */
  private async judgeRound(slot: number, jobs: ReadonlyArray<Job>): Promise<void> {
    if (this.closed) {
      for (const j of jobs) j.error = unavailable("the pool is closed")
      return
    }
    const handle = this.handles[slot]!
    const items: Array<ValidateItem> = jobs.map((j) => ({
      key: j.key,
      batchId: j.batchId,
      reapply: j.reloaded ? j.accepted.map(exact) : [],
      blobs: j.chunks[0]!.map(exact),
      check: j.check,
      atLeastSeq: j.atLeastSeq,
    }))
    let res: WorkerResponse
    try {
      res = await handle.call({ _tag: "Validate", items })
    } catch (err) {
      // Gone (recycled under us): try again on the replacement. A timeout is not retried: the
      // request itself may be what hangs the worker.
      for (const j of jobs) {
        if (err instanceof WorkerGone) this.retryLater(j, err.message)
        else j.error = err instanceof PoolError ? err : new PoolError({ kind: "Internal", message: String(err) })
      }
      return
    }
    if (res._tag === "Poisoned") {
      this.recycle(handle, "the worker was poisoned by an earlier crash", "poisoned")
      for (const j of jobs) this.retryLater(j, "worker poisoned by an earlier crash")
      return
    }
    if (res._tag !== "Validated") {
      for (const j of jobs) j.error = unexpected("validate", res)
      return
    }
    if (res.results.some((r) => r._tag === "Crashed")) {
      this.counters.crashes++
      const culprits = jobs.filter((_, i) => res.results[i]?._tag === "Crashed").map((j) => j.key)
      this.recycle(handle, "Loro panicked on a blob", "crash", culprits)
    }
    await Promise.all(jobs.map((j, i) => this.apply(handle, j, res.results[i] ?? { _tag: "NotRun" })))
  }

  private async apply(handle: WorkerHandle, j: Job, r: ItemResult): Promise<void> {
    const chunk = j.chunks[0]!
    // Attempts count rounds without progress; a judged chunk is progress.
    if (r._tag === "Ok" || r._tag === "Crashed" || r._tag === "Refused") j.attempts = 0
    switch (r._tag) {
      case "Ok":
        j.chunks.shift()
        j.accepted.push(...chunk)
        for (const _ of chunk) j.results.push({ ok: true })
        return
      case "NotRun":
        return this.retryLater(j, "a crash on another document")
      case "NeedLoad":
        if (j.reloaded && j.attempts++ >= MAX_ATTEMPTS)
          j.error = unavailable("the document kept leaving the worker's cache")
        else
          await this.load(handle, j.key).then(
            () => {
              j.reloaded = true
            },
            (err) => {
              j.error = err instanceof PoolError ? err : unavailable(String(err))
            },
          )
        return
      case "Refused":
        // Built on commits this copy lacks (another node's)? Reload at the log's head, once.
        if (r.missingDeps === true && !j.headChecked && this.options.source.head !== undefined) {
          j.headChecked = true
          const head = await this.options.source.head(j.key.ws, j.key.doc).catch(() => undefined)
          if (head !== undefined && head > (r.committedSeq ?? 0)) return // the copy was dropped: NeedLoad next
        }
        return this.split(j, chunk, { ok: false, reason: r.reason })
      case "Crashed":
        return this.split(j, chunk, { ok: false, reason: r.reason, crashed: true })
    }
  }

  /** A chunk was refused or crashed: one blob is judged; several are split to find the culprit. */
  private split(j: Job, chunk: ReadonlyArray<Uint8Array>, verdict: ValidateResult): void {
    j.chunks.shift()
    if (chunk.length === 1) j.results.push(verdict)
    else {
      const mid = chunk.length >> 1
      j.chunks.unshift(chunk.slice(0, mid), chunk.slice(mid))
    }
  }

  private retryLater(j: Job, problem: string): void {
    j.lastProblem = problem
    if (++j.attempts >= MAX_ATTEMPTS) j.error = unavailable(problem)
  }

  /**
   * Sends a request to the worker that owns `key` (or `slot`), answering NeedLoad by loading
   * from the source and retrying calls that lost their worker. Crashed recycles the worker.
   */
  private async request<R extends WorkerRequest>(
    key: DocKey | undefined,
    make: () => R,
    slot = key === undefined ? 0 : this.placement.slotOf(key),
  ): Promise<Answer<R>> {
    let lastProblem = "the pool is closed"
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      if (this.closed) break
      const handle = this.handles[slot]!
      let res: Answer<R>
      try {
        res = await handle.call(make())
      } catch (err) {
        if (!(err instanceof WorkerGone)) throw err
        lastProblem = err.message
        continue
      }
      if (res._tag === "Poisoned") {
        lastProblem = "worker poisoned by an earlier crash"
        this.recycle(handle, lastProblem, "poisoned", key === undefined ? [] : [key])
        continue
      }
      if (res._tag === "Crashed") {
        this.counters.crashes++
        this.recycle(handle, res.reason, "crash", key === undefined ? [] : [key])
      }
      if (res._tag !== "NeedLoad") return res
      if (key === undefined) break
      await this.load(handle, key)
      lastProblem = "the document kept leaving the worker's cache"
    }
    throw unavailable(lastProblem)
  }

  private async load(handle: WorkerHandle, key: DocKey): Promise<void> {
    const data = await this.loadSource(key)
    this.counters.docsLoaded++
    const snapshot = data.snapshot === undefined ? undefined : movable(data.snapshot)
    const updates = data.updates.map((u) => movable(u.bytes))
    let res: WorkerResponse
    try {
      res = await handle.call(
        { _tag: "Load", key, snapshot, updates, seq: lastSeq(data) },
        transferOf([snapshot, ...updates]),
      )
    } catch (err) {
      // The caller sends its request again, to the replacement if this worker went away.
      if (err instanceof WorkerGone) return
      throw err
    }
    if (res._tag === "Crashed") {
      this.counters.crashes++
      this.recycle(handle, res.reason, "crash", [key])
    }
    if (res._tag === "Poisoned") return this.recycle(handle, "worker poisoned by an earlier crash", "poisoned", [key])
    expectOk("load", res)
  }

  private async loadSource(key: DocKey) {
    try {
      return await this.options.source.load(key.ws, key.doc)
    } catch (err) {
      throw unavailable(`could not load ${key.ws}/${key.doc}: ${String(err)}`)
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

  private forgetBatch(key: DocKey, batchId: number): void {
    const k = keyString(key)
    const list = this.batches.get(k)
    if (list === undefined) return
    const i = list.indexOf(batchId)
    if (i >= 0) list.splice(i, 1)
    if (list.length === 0) this.batches.delete(k)
  }

  /** `items` by the worker that owns each one's document, in their order. */
  private bySlot<T>(items: ReadonlyArray<T>, keyOf: (item: T) => DocKey): Map<number, Array<T>> {
    const out = new Map<number, Array<T>>()
    for (const item of items) {
      const slot = this.placement.slotOf(keyOf(item))
      let list = out.get(slot)
      if (list === undefined) out.set(slot, (list = []))
      list.push(item)
    }
    return out
  }

  /** Runs `f` after every earlier call on any of `keys`, and before any later one. */
  private serialize<A>(keys: ReadonlyArray<DocKey>, f: () => Promise<A>): Promise<A> {
    const ks = keys.map(keyString)
    const before = ks.map((k) => this.chains.get(k)).filter((p) => p !== undefined)
    const prev = before.length === 0 ? Promise.resolve() : before.length === 1 ? before[0]! : Promise.all(before)
    const next = prev.then(f, f)
    const tail = next.then(
      () => undefined,
      () => undefined,
    )
    for (const k of ks) this.chains.set(k, tail)
    void tail.then(() => {
      for (const k of ks) if (this.chains.get(k) === tail) this.chains.delete(k)
    })
    return next
  }
}

/**
 * The blob in a buffer of its own size. A received blob is often a view into a larger buffer
 * (a socket read, Node's 8 KB Buffer pool), and postMessage copies a view's whole buffer.
 */
const exact = (b: Uint8Array): Uint8Array =>
  // `new Uint8Array(view)` copies (a Buffer's own `slice` would not).
  b.byteOffset === 0 && b.byteLength === b.buffer.byteLength ? b : new Uint8Array(b)

/**
 * From this size on a blob goes to a worker moved (transferred) rather than copied by
 * postMessage's structured clone, which runs on the sending thread: loading a 100,000-task
 * document (24 MB snapshot, 16 MB of updates) blocked the event loop ~0.3 s in that copy.
 */
const MOVE_FROM = 64 * 1024

/** `exact`, and a blob to be moved gets a buffer of its own (the source may still hold it). */
const movable = (b: Uint8Array): Uint8Array => (b.byteLength >= MOVE_FROM ? new Uint8Array(b) : exact(b))

/** The buffers of `movable` blobs to move. */
const transferOf = (blobs: ReadonlyArray<Uint8Array | undefined>): Array<ArrayBuffer> =>
  blobs.flatMap((b) => (b !== undefined && b.byteLength >= MOVE_FROM ? [b.buffer as ArrayBuffer] : []))

const keyString = (k: DocKey) => `${k.ws}\u0000${k.doc}`

/**
 * Which worker owns each document's copy (one owner per document: its pending batches live
 * there). A document is placed, when first seen, on the worker that owns the fewest: a hash
 * put 8 of the ramp's 10 busy documents on one of two workers, which then judged for ~1 s in
 * every 4 while the other idled, and every tick waited for it (`bench/peers.ts`, CPU profile).
 * Kept in use order and bounded: past `capacity` the least recently used documents with nothing
 * pending are forgotten (`forget`: their copy is discarded, so it cannot come back stale).
 */
export class Placement {
  /** By `keyString`, in use order (least recent first). */
  private readonly slots = new Map<string, { readonly key: DocKey; readonly slot: number }>()
  private readonly owned: Array<number>

  constructor(
    workers: number,
    private readonly capacity: number,
    private readonly busy: (k: string) => boolean,
    private readonly forget: (key: DocKey, slot: number) => void,
  ) {
    this.owned = Array.from({ length: workers }, () => 0)
  }

  slotOf(key: DocKey): number {
    const k = keyString(key)
    const known = this.slots.get(k)
    if (known !== undefined) {
      this.slots.delete(k)
      this.slots.set(k, known)
      return known.slot
    }
    let slot = 0
    for (let i = 1; i < this.owned.length; i++) if (this.owned[i]! < this.owned[slot]!) slot = i
    this.slots.set(k, { key, slot })
    this.owned[slot]!++
    if (this.slots.size > this.capacity) this.trim(k)
    return slot
  }

  private trim(keep: string): void {
    for (const [k, placed] of this.slots) {
      if (this.slots.size <= this.capacity) return
      if (k === keep || this.busy(k)) continue
      this.slots.delete(k)
      this.owned[placed.slot]!--
      this.forget(placed.key, placed.slot)
    }
  }
}

const lastSeq = (d: { snapshotSeq: number; updates: ReadonlyArray<{ seq: number }> }) =>
  d.updates.reduce((max, u) => Math.max(max, u.seq), d.snapshotSeq)

const unavailable = (problem: string) =>
  new PoolError({ kind: "Unavailable", message: `the Loro pool could not complete the call (${problem})` })

const judged = (outcomes: ReadonlyArray<ValidateOutcome>): ReadonlyArray<ValidateResult> => {
  const o = outcomes[0]!
  if (o._tag === "Failed") throw o.error
  return o.results
}

const unexpected = (what: string, res: WorkerResponse) =>
  new PoolError({
    kind: "Internal",
    message: `${what}: ${res._tag === "Crashed" ? res.reason : res._tag === "Failed" ? res.message : res._tag}`,
  })

const expectOk = <V>(what: string, res: NotDone | Validated | Ok<V>): V => {
  if (res._tag === "Ok") return res.value
  throw unexpected(what, res)
}
