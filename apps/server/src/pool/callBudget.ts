import type { DocKey, WorkerRequest } from "./protocol.js"

/**
 * How long a worker call may take before its worker is declared stuck: a base (the pool's
 * `callTimeoutMs`) plus time for the bytes the call must move through Loro. A fixed 30 s made
 * every load of a 100,000-task document time out under load, recycle the worker and answer 503
 * forever after; scaled, a big document gets the time its size needs and a small one still
 * fails fast. The time per byte is the larger of a floor rate and four times the pace this
 * pool has recently shown for the same operation (`Pace`), so a loaded machine, or an
 * operation that timed out once, gets more time on the next call instead of failing again.
 */
export const BUDGET_BYTES_PER_SECOND = 64 * 1024
/** Calls smaller than this say little about pace (fixed costs dominate). */
const PACE_MIN_BYTES = 64 * 1024
const HEADROOM = 4

export const budgetMs = (baseMs: number, workBytes: number, secondsPerByte = 0): number =>
  baseMs + Math.ceil(workBytes * Math.max(1 / BUDGET_BYTES_PER_SECOND, HEADROOM * secondsPerByte) * 1000)

/** Recent seconds per byte of each operation, shared by a pool's workers (a recycled worker keeps the history). */
export class Pace {
  private readonly perOp = new Map<string, number>()

  secondsPerByte(op: string): number {
    return this.perOp.get(op) ?? 0
  }

  /** A call of `op` moved `bytes` in `seconds` (for a timeout: at least that long). */
  record(op: string, bytes: number, seconds: number): void {
    if (bytes < PACE_MIN_BYTES) return
    const seen = seconds / bytes
    const old = this.perOp.get(op)
    // Slow news counts at once, recovery gradually: budgets shrink back over a few calls.
    this.perOp.set(op, old === undefined || seen > old ? seen : old * 0.7 + seen * 0.3)
  }
}

export const sumBytes = (blobs: ReadonlyArray<Uint8Array>) => blobs.reduce((n, b) => n + b.byteLength, 0)

/**
 * Bytes a request makes the worker read or write: its own payload, plus the document's size
 * where the operation walks the whole document (validation's health check exports a snapshot,
 * named ops read it, snapshots export it). `docBytes` is the worker's last known size of a document.
 */
export const workBytes = (req: WorkerRequest, docBytes: (key: DocKey) => number): number => {
  switch (req._tag) {
    case "Load":
      return (req.snapshot?.byteLength ?? 0) + sumBytes(req.updates)
    case "Build":
      return (req.snapshot?.byteLength ?? 0) + sumBytes(req.updates)
    case "Validate":
      return req.items.reduce(
        (n, it) => n + sumBytes(it.blobs) + sumBytes(it.reapply) + (it.check ? docBytes(it.key) : 0),
        0,
      )
    case "Run":
      // Some operations carry the bytes they work on (a whole document to check, a backup).
      return docBytes(req.key) + bytesIn(req.args)
    case "RunMany":
      return req.items.reduce((n, it) => n + docBytes(it.key) + bytesIn(it.args), 0)
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
    case "RunMany":
      return req.items.map((it) => it.key)
    case "Discard":
      return req.keys
    case "Build":
      return []
  }
}
