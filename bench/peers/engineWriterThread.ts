/**
 * VibeStack's writers for `bench/peers.ts`, in a worker thread: each a `HeadlessClient` (the
 * sync engine the web app's worker runs, memory store) that edits with the schema's write
 * helpers and answers once the server's durable acknowledgement is stored. Every edit costs a
 * writer a Loro commit and each of its document's other writers an import (≈ 2–4 ms of CPU per
 * edit for five writers), so one thread cannot drive more than a few hundred edits/s: the bench
 * spreads documents over one thread per core (`engineWriters.ts`), the server having its own
 * process.
 */
import { parentPort, workerData } from "node:worker_threads"
import { HeadlessClient } from "@vibestack/headless"
import { createProject, createTask, type WorkspaceId } from "@vibestack/schema"
import { PROJECT } from "./workload.js"

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

interface Open {
  readonly client: HeadlessClient
  /** The writer's last task: the next goes after it (the web app's "add at the end"). */
  last: string | null
}
const writers = new Map<number, Open>()

const edit = async (w: Open, keys: ReadonlyArray<string>): Promise<void> => {
  const entry = await w.client.edit((d) => {
    if (d.getMap("projects").get(PROJECT) === undefined)
      createProject(d, { id: PROJECT, name: "Bench", color: "#4f7cff" })
    for (const key of keys)
      w.last = createTask(d, {
        id: key,
        projectId: PROJECT,
        title: `task ${key}`,
        position: { after: w.last, before: null },
      }).id
  })
  await w.client.acked(entry.id)
}

const answer = (a: WriterAnswer) => port.postMessage(a)
const failed = (id: number) => (e: unknown) => answer({ _tag: "Failed", id, error: String(e) })

port.on("message", (req: WriterRequest) => {
  switch (req._tag) {
    case "Open":
      HeadlessClient.open(url, req.doc as WorkspaceId, req.token, { dir: req.dir, store: "memory" }).then((client) => {
        writers.set(req.id, { client, last: null })
        answer({ _tag: "Opened", id: req.id, peer: client.doc.peerIdStr })
      }, failed(req.id))
      return
    case "Edit": {
      const w = writers.get(req.writer)
      if (w === undefined) return answer({ _tag: "Failed", id: req.id, error: `no writer ${req.writer}` })
      edit(w, req.keys).then(() => answer({ _tag: "Done", id: req.id }), failed(req.id))
      return
    }
    case "Close":
      void writers.get(req.writer)?.client.close()
      writers.delete(req.writer)
      return
  }
})
