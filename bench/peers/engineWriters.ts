import { cpus } from "node:os"
import type { EventLoopUtilization } from "node:perf_hooks"
import { Worker } from "node:worker_threads"
import { workerUrl } from "@vibestack/server/src/pool/workerBundle.js"
import type { WriterAnswer, WriterRequest } from "./engineWriterThread.js"
import { perTurn } from "./perTurn.js"

/**
 * VibeStack's engine writers spread over worker threads (one per core), documents assigned
 * round-robin so a document's writers share a thread. The peers' writers are raw sockets that
 * apply nothing; ours are the product's client, which also imports every other writer's edit,
 * and one event loop saturated well below what the server takes.
 */
export class EngineWriters {
  private readonly threads: Array<Worker>
  private readonly pending = new Map<number, { resolve: (a: WriterAnswer) => void; reject: (e: Error) => void }>()
  private readonly threadOfDoc = new Map<string, Worker>()
  /** Per thread: requests leave once per turn of the event loop, together (as its answers do). */
  private readonly senders = new Map<Worker, (req: WriterRequest) => void>()
  private nextId = 0

  constructor(serverUrl: string, threads = Math.max(1, cpus().length)) {
    const url = workerUrl(new URL("./engineWriterThread.ts", import.meta.url))
    this.threads = Array.from({ length: threads }, () => {
      const w = new Worker(url, { workerData: { url: serverUrl } })
      this.senders.set(
        w,
        perTurn<WriterRequest>((reqs) => w.postMessage(reqs)),
      )
      w.on("message", (answers: ReadonlyArray<WriterAnswer>) => {
        for (const a of answers) {
          const p = this.pending.get(a.id)
          this.pending.delete(a.id)
          p?.resolve(a)
        }
      })
      w.on("error", (e) => {
        for (const p of this.pending.values()) p.reject(e)
        this.pending.clear()
      })
      w.unref()
      return w
    })
  }

  private call(thread: Worker, req: (id: number) => WriterRequest): Promise<WriterAnswer> {
    const id = this.nextId++
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject })
      this.senders.get(thread)!(req(id))
    })
  }

  private threadFor(doc: string): Worker {
    let t = this.threadOfDoc.get(doc)
    if (t === undefined) {
      t = this.threads[this.threadOfDoc.size % this.threads.length]!
      this.threadOfDoc.set(doc, t)
    }
    return t
  }

  /** Opens a writer on `doc`; `edit` resolves once the server's acknowledgement is stored. */
  async open(doc: string, token: string, dir: string) {
    const thread = this.threadFor(doc)
    const opened = await this.call(thread, (id) => ({ _tag: "Open", id, doc, token, dir }))
    if (opened._tag !== "Opened")
      throw new Error(`writer did not open: ${"error" in opened ? opened.error : opened._tag}`)
    const writer = opened.id
    return {
      peer: opened.peer,
      edit: async (...keys: Array<string>) => {
        const a = await this.call(thread, (id) => ({ _tag: "Edit", id, writer, keys }))
        if (a._tag === "Failed") throw new Error(a.error)
      },
      close: () => this.senders.get(thread)!({ _tag: "Close", writer }),
    }
  }

  /** Each thread's event-loop utilisation since `since` (1 = saturated), for the log. */
  utilisation(since?: ReadonlyArray<EventLoopUtilization>): Array<EventLoopUtilization> {
    return this.threads.map((t, i) => t.performance.eventLoopUtilization(since?.[i]))
  }

  close(): Promise<Array<number>> {
    return Promise.all(this.threads.map((t) => t.terminate()))
  }
}
