import { Worker } from "node:worker_threads"
import { PoolError, WorkerGone } from "./PoolError.js"
import type { WorkerEnvelope, WorkerRequest, WorkerResponse } from "./protocol.js"
import { poolWorkerUrl } from "./workerBundle.js"

interface InFlight {
  readonly resolve: (res: WorkerResponse) => void
  readonly reject: (err: unknown) => void
  readonly timer: NodeJS.Timeout
}

/**
 * One pool worker thread with request/response correlation, started from the bundled
 * worker module (`workerBundle.ts`: plain JavaScript, nothing to compile at boot).
 */
export class WorkerHandle {
  private readonly worker: Worker
  private readonly inFlight = new Map<number, InFlight>()
  private nextId = 1
  private gone = false

  constructor(
    maxDocs: number,
    private readonly timeoutMs: number,
    private readonly onTimeout: (handle: WorkerHandle) => void,
    private readonly onExit: (handle: WorkerHandle) => void,
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

  /** Sends a request whose answer nobody waits for (the worker handles messages in order). */
  post(body: WorkerRequest): void {
    if (this.gone) return
    const envelope: WorkerEnvelope<WorkerRequest> = { id: 0, body }
    this.worker.postMessage(envelope)
  }

  call(body: WorkerRequest): Promise<WorkerResponse> {
    if (this.gone) return Promise.reject(new WorkerGone({ message: "pool worker was recycled" }))
    const id = this.nextId++
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.inFlight.delete(id)
        // Not WorkerGone: the request itself may be what hangs the worker, so it is not retried.
        reject(
          new PoolError({
            kind: "Unavailable",
            message: `pool worker did not answer ${body._tag} within ${this.timeoutMs} ms`,
          }),
        )
        this.onTimeout(this)
      }, this.timeoutMs)
      this.inFlight.set(id, { resolve, reject, timer })
      const envelope: WorkerEnvelope<WorkerRequest> = { id, body }
      this.worker.postMessage(envelope)
    })
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
