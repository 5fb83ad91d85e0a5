import type { DocKey, WorkerRequest } from "./protocol.js"

/**
 * How long a worker call may take before its worker is declared stuck: a base (the pool's
 * `callTimeoutMs`) plus time for the bytes the call must move through Loro, at the slowest
 * rate we accept on a loaded 2-core machine. A fixed 30 s made every load of a 100,000-task
 * document (a 2.4 MB snapshot plus its log) time out under load, recycle the worker and answer
 * 503 forever after; scaled, a big document gets the time its size needs and a small one
 * still fails fast.
 */
export const BUDGET_BYTES_PER_SECOND = 128 * 1024

export const budgetMs = (baseMs: number, workBytes: number): number =>
  baseMs + Math.ceil((workBytes / BUDGET_BYTES_PER_SECOND) * 1000)

const sum = (blobs: ReadonlyArray<Uint8Array>) => blobs.reduce((n, b) => n + b.byteLength, 0)

/**
 * Bytes a request makes the worker read or write: its own payload, plus the document's size
 * where the operation walks the whole document (validation's health check exports a snapshot,
 * named ops read it, snapshots export it). `docBytes` is the worker's last known size of a document.
 */
export const workBytes = (req: WorkerRequest, docBytes: (key: DocKey) => number): number => {
  switch (req._tag) {
    case "Load":
      return (req.snapshot?.byteLength ?? 0) + sum(req.updates)
    case "Build":
      return (req.snapshot?.byteLength ?? 0) + sum(req.updates)
    case "Validate":
      return req.items.reduce((n, it) => n + sum(it.blobs) + sum(it.reapply) + (it.check ? docBytes(it.key) : 0), 0)
    case "Run":
      // Some operations carry the bytes they work on (a whole document to check, a backup).
      return docBytes(req.key) + bytesIn(req.args)
    case "ExportSnapshot":
      return docBytes(req.key)
    case "Commit":
    case "Discard":
      return 0
  }
}

/** Bytes of the Uint8Arrays in an operation's arguments (a few levels deep). */
export const bytesIn = (value: unknown, depth = 3): number => {
  if (value instanceof Uint8Array) return value.byteLength
  if (depth === 0 || value === null || typeof value !== "object") return 0
  let n = 0
  for (const v of Array.isArray(value) ? value : Object.values(value)) n += bytesIn(v, depth - 1)
  return n
}

/** The documents a request touches (for logs: which documents a recycled worker was busy with). */
export const docsOf = (req: WorkerRequest): ReadonlyArray<DocKey> => {
  switch (req._tag) {
    case "Load":
    case "Run":
    case "ExportSnapshot":
      return [req.key]
    case "Validate":
    case "Commit":
      return req.items.map((it) => it.key)
    case "Discard":
      return req.keys
    case "Build":
      return []
  }
}
