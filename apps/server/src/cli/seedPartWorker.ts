/**
 * Writes the parts of `vibestack workspace seed` in a worker thread, so the CLI's main thread
 * keeps uploading while the next part is written (a part blocks its thread for seconds; an
 * upload stalled that long was cut off by the server's request timeout, 408).
 */
import { parentPort, workerData } from "node:worker_threads"
import { type MemberId, type ProjectId, seedWorkspace } from "@vibestack/schema"
import { growLoroMemoryInSteps } from "@vibestack/shared"
import * as loro from "loro-crdt"
import { LoroDoc } from "loro-crdt"

export interface PartWorkerData {
  readonly head: Uint8Array
  readonly seed: number
  readonly projectIds: ReadonlyArray<ProjectId>
  readonly memberIds: ReadonlyArray<MemberId>
}
export interface PartRequest {
  readonly offset: number
  readonly count: number
}
export type PartResponse =
  | { readonly offset: number; readonly count: number; readonly blob: Uint8Array }
  | { readonly offset: number; readonly count: number; readonly error: string }

const port = parentPort
if (port === null) throw new Error("seedPartWorker must run in a worker thread")
const data = workerData as PartWorkerData
// A part grows Loro's memory by hundreds of MB: in steps, not a garbage collection per page (loroMemory.ts).
growLoroMemoryInSteps(loro)

/** Tasks [offset, offset + count) and their comments, on top of the head update, as one update. */
const part = ({ offset, count }: PartRequest): Uint8Array => {
  const doc = new LoroDoc()
  try {
    doc.import(data.head)
    const from = doc.oplogVersion()
    seedWorkspace(doc, {
      tasks: count,
      projects: 0,
      seed: data.seed,
      chunk: count + 1,
      part: { offset, projectIds: data.projectIds, memberIds: data.memberIds },
    })
    return doc.export({ mode: "update", from })
  } finally {
    doc.free()
  }
}

port.on("message", (req: PartRequest) => {
  let res: PartResponse
  try {
    res = { ...req, blob: part(req) }
  } catch (e) {
    res = { ...req, error: String(e) }
  }
  port.postMessage(res, "blob" in res ? [res.blob.buffer as ArrayBuffer] : [])
})
