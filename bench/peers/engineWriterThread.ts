/**
 * VibeStack's writers for `bench/peers.ts`'s ramp, in a worker thread (`EngineWriter`: the
 * product's engine, answering once the durable acknowledgement is stored). Every edit costs a
 * writer a Loro commit and each of its document's other writers an import (≈ 2–4 ms of CPU per
 * edit for five writers), so one thread cannot drive more than a few hundred edits/s: the bench
 * spreads documents over one thread per core (`engineWriters.ts`), the server having its own
 * process.
 */
import { parentPort, workerData } from "node:worker_threads"
import { EngineWriter } from "./engineWriter.js"
import { perTurn } from "./perTurn.js"

export type WriterRequest =
  | { readonly _tag: "Open"; readonly id: number; readonly doc: string; readonly token: string; readonly dir: string }
  | { readonly _tag: "Edit"; readonly id: number; readonly writer: number; readonly keys: ReadonlyArray<string> }
  | { readonly _tag: "Close"; readonly writer: number }
export type WriterAnswer =
  | { readonly _tag: "Opened"; readonly id: number; readonly peer: string }
  | { readonly _tag: "Done"; readonly id: number }
  | { readonly _tag: "Failed"; readonly id: number; readonly error: string }
const port = parentPort
if (port === null) throw new Error("engineWriterThread must run in a worker thread")
const { url } = workerData as { readonly url: string }

const writers = new Map<number, EngineWriter>()

/** Answers leave once per turn of the event loop, together. */
const answer = perTurn<WriterAnswer>((answers) => port.postMessage(answers))
const failed = (id: number) => (e: unknown) => answer({ _tag: "Failed", id, error: String(e) })

port.on("message", (reqs: ReadonlyArray<WriterRequest>) => {
  for (const req of reqs) handle(req)
})

const handle = (req: WriterRequest): void => {
  switch (req._tag) {
    case "Open":
      EngineWriter.open(url, req.doc, req.token, req.dir).then((w) => {
        writers.set(req.id, w)
        answer({ _tag: "Opened", id: req.id, peer: w.peer })
      }, failed(req.id))
      return
    case "Edit": {
      const w = writers.get(req.writer)
      if (w === undefined) answer({ _tag: "Failed", id: req.id, error: `no writer ${req.writer}` })
      else w.edit(req.keys).then(() => answer({ _tag: "Done", id: req.id }), failed(req.id))
      return
    }
    case "Close":
      void writers.get(req.writer)?.close()
      writers.delete(req.writer)
      return
  }
}
