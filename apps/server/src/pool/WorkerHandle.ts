import { Worker } from "node:worker_threads"
import { budgetMs, docsOf, Pace, workBytes } from "./callBudget.js"
import { PoolError, WorkerGone } from "./PoolError.js"
import type { Answer, CommitItem, DocKey, WorkerEnvelope, WorkerRequest, WorkerResponse } from "./protocol.js"
import { poolWorkerUrl } from "./workerBundle.js"

interface InFlight {
  readonly resolve: (res: WorkerResponse) => void
  readonly reject: (err: unknown) => void
  readonly timer: NodeJS.Timeout
  readonly body: WorkerRequest
}

/** What the pool's owner hears about each call (metrics): its operation, time and outcome. */
export type CallObserver = (op: WorkerRequest["_tag"], seconds: number, outcome: "ok" | "timeout" | "gone") => void

/** A call that ran past its budget: what it was, on which documents, and the budget. */
export interface TimedOut {
  readonly op: WorkerRequest["_tag"]
  readonly docs: ReadonlyArray<DocKey>
  readonly budgetMs: number
}

/** Commit marks wait at most this long for a message to ride on. */
const COMMIT_FLUSH_MS = 50
/** Sizes remembered per worker (a bound: the worker's own cache holds far fewer documents). */
const MAX_SIZES = 4096

/**
 * One pool worker thread with request/response correlation, started from the bundled
 * worker module (`workerBundle.ts`: plain JavaScript, nothing to compile at boot).
 */
export class WorkerHandle {
  private readonly worker: Worker
  private readonly inFlight = new Map<number, InFlight>()
  /** Last known bytes of each document this worker loaded: what a whole-document call must walk. */
  private readonly sizes = new Map<string, number>()
  private nextId = 1
  private gone = false
  /** Commit marks not sent yet (`postCommits`). */
  private commits: Array<CommitItem> = []
  private commitTimer: NodeJS.Timeout | undefined

  constructor(
    maxDocs: number,
    /** Base budget of a call; it grows with the bytes the call moves (`callBudget.ts`). */
    private readonly timeoutMs: number,
    private readonly onTimeout: (handle: WorkerHandle, call: TimedOut) => void,
    private readonly onExit: (handle: WorkerHandle) => void,
    private readonly observe: CallObserver = () => {},
    /** The pool's recent pace per operation (shared by its workers). */
    private readonly pace: Pace = new Pace(),
  ) {
    this.worker = new Worker(poolWorkerUrl(), { workerData: { maxDocs } })
    this.worker.on("message", ({ id, body }: WorkerEnvelope<WorkerResponse>) => {
      const call = this.inFlight.get(id)
      if (call === undefined) return
      this.inFlight.delete(id)
      clearTimeout(call.timer)
      call.resolve(body)
    })
    this.worker.on("error", (err) => this.fail(`pool worker failed: ${err.message}`))
    this.worker.on("exit", (code) => {
      const unexpected = !this.gone
      this.fail(`pool worker exited with code ${code}`)
      if (unexpected) this.onExit(this)
    })
  }

  get isGone(): boolean {
    return this.gone
  }

  /** True while a call waits for its answer. */
  get busy(): boolean {
    return this.inFlight.size > 0
  }

  /** Documents of the calls in flight (for the log line of a recycle). */
  inFlightDocs(): ReadonlyArray<DocKey> {
    return [...this.inFlight.values()].flatMap((c) => docsOf(c.body))
  }

  /** Sends a request whose answer nobody waits for (the worker handles messages in order). */
  post(body: WorkerRequest): void {
    if (this.gone) return
    const envelope: WorkerEnvelope<WorkerRequest> = { id: 0, body, commits: this.takeCommits() }
    this.worker.postMessage(envelope)
  }

  /**
   * Queues commit marks for the worker: they go with its next message, in order before it, or
   * after `COMMIT_FLUSH_MS` on their own. A postMessage costs a wake-up of the worker thread
   * (and used to cost an answer back); a busy push path sends a Validate right after anyway.
   */
  postCommits(items: ReadonlyArray<CommitItem>): void {
    if (this.gone) return
    this.commits.push(...items)
    this.commitTimer ??= setTimeout(() => {
      this.commitTimer = undefined
      const commits = this.takeCommits()
      if (commits !== undefined && !this.gone) this.post({ _tag: "Commit", items: commits })
    }, COMMIT_FLUSH_MS).unref()
  }

  private takeCommits(): ReadonlyArray<CommitItem> | undefined {
    if (this.commits.length === 0) return undefined
    const out = this.commits
    this.commits = []
    return out
  }

  /**
   * Sends a request and waits for its answer, at most its budget: the base timeout plus time
   * for the bytes it moves, at the pool's recent pace. Past it the call fails `Unavailable`
   * and the worker is recycled. `transfer`: buffers of `body` that move to the worker instead of
   * being copied (the caller must own them; they are empty here afterwards).
   */
  call<R extends WorkerRequest>(body: R, transfer: ReadonlyArray<ArrayBuffer> = []): Promise<Answer<R>> {
    if (this.gone) return Promise.reject(new WorkerGone({ message: "pool worker was recycled" }))
    const id = this.nextId++
    const bytes = workBytes(body, (k) => this.sizes.get(sizeKey(k)) ?? 0)
    const budget = budgetMs(this.timeoutMs, bytes, this.pace.secondsPerByte(body._tag))
    this.remember(body)
    const started = performance.now()
    const seconds = () => (performance.now() - started) / 1000
    return new Promise<Answer<R>>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.inFlight.delete(id)
        this.pace.record(body._tag, bytes, seconds())
        this.observe(body._tag, seconds(), "timeout")
        // Not WorkerGone: the request itself may be what hangs the worker, so it is not retried.
        reject(
          new PoolError({
            kind: "Unavailable",
            message: `pool worker did not answer ${body._tag} within its budget of ${budget} ms`,
          }),
        )
        this.onTimeout(this, { op: body._tag, docs: docsOf(body), budgetMs: budget })
      }, budget)
      this.inFlight.set(id, {
        resolve: (res) => {
          this.pace.record(body._tag, bytes, seconds())
          this.observe(body._tag, seconds(), "ok")
          // Answers are matched to requests by id, and the worker answers each request with its
          // own `Answer` (poolWorker's handler table is checked against the map): this is that answer.
          resolve(res as Answer<R>)
        },
        reject: (err) => {
          this.observe(body._tag, seconds(), "gone")
          reject(err)
        },
        timer,
        body,
      })
      const envelope: WorkerEnvelope<WorkerRequest> = { id, body, commits: this.takeCommits() }
      this.worker.postMessage(envelope, [...transfer])
    })
  }

  /** Keeps each document's size up to date from what this worker is sent. */
  private remember(body: WorkerRequest): void {
    if (body._tag === "Load") {
      const k = sizeKey(body.key)
      this.sizes.delete(k)
      this.sizes.set(
        k,
        workBytes(body, () => 0),
      )
      if (this.sizes.size > MAX_SIZES) this.sizes.delete(this.sizes.keys().next().value!)
    } else if (body._tag === "Validate") {
      for (const it of body.items) {
        const k = sizeKey(it.key)
        const known = this.sizes.get(k)
        if (known !== undefined) this.sizes.set(k, known + it.blobs.reduce((n, b) => n + b.byteLength, 0))
      }
    }
  }

  /** Terminates the thread; every call still in flight rejects with WorkerGone. */
  terminate(): Promise<void> {
    this.fail("pool worker was recycled")
    return this.worker.terminate().then(() => undefined)
  }

  private fail(message: string): void {
    this.gone = true
    for (const [id, call] of this.inFlight) {
      this.inFlight.delete(id)
      clearTimeout(call.timer)
      call.reject(new WorkerGone({ message }))
    }
  }
}

const sizeKey = (k: DocKey) => `${k.ws}\u0000${k.doc}`
