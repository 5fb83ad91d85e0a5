/**
 * A pool worker: owns the server's copies of some documents and is the only place where
 * untrusted bytes meet Loro. Any WebAssembly RuntimeError poisons this worker: it answers
 * the culprit with Crashed, everything after with Poisoned, and waits to be terminated.
 */
import { parentPort, workerData } from "node:worker_threads"
import { growLoroMemoryInSteps, keepLoroHeadroom, roomForImport } from "@vibestack/shared"
import * as loro from "loro-crdt"
import { type Frontiers, LoroDoc } from "loro-crdt"
import { DocCache } from "./DocCache.js"
import { type PoolOpArgs, type PoolOpName, type PoolOpResult, poolOps } from "./ops/index.js"
import type { OpContext } from "./ops/PoolOp.js"
import type {
  Answer,
  CommitItem,
  DocKey,
  ItemResult,
  RunRequest,
  Validated,
  ValidateItem,
  WorkerEnvelope,
  WorkerRequest,
  WorkerResponse,
} from "./protocol.js"
import { validateBatch } from "./validate/validateBatch.js"

interface Entry {
  readonly doc: LoroDoc
  committedSeq: number
  committedFrontiers: Frontiers
  /** Validated batches not yet committed, oldest first. */
  readonly pending: Array<{ readonly batchId: number; frontiers: Frontiers }>
}

const port = parentPort
if (port === null) throw new Error("poolWorker must run in a worker thread")
const { maxDocs } = workerData as { maxDocs: number }
// The memory grows in steps: one garbage collection per step instead of one per 64 KiB page (loroMemory.ts).
growLoroMemoryInSteps(loro, 64 * 1024 * 1024)

const freeQuietly = (doc: LoroDoc) => {
  try {
    doc.free()
  } catch {
    // A doc of a poisoned instance may not free; the worker is about to go anyway.
  }
}
// Loro's panic hook prints a full WebAssembly stack per panic; a hostile client can cause
// many, so keep one line each (the refusal reason carries the rest).
const printError = console.error.bind(console)
console.error = (...args: Array<unknown>) => {
  const first = String(args[0] ?? "")
  if (first.includes("panicked at")) printError(`[loro pool] ${first.split("\n").slice(0, 2).join(" ")}`)
  else printError(...args)
}

const cache = new DocCache<Entry>(maxDocs, (e) => freeQuietly(e.doc))
let poisoned = false

const keyOf = (k: DocKey) => `${k.ws}\u0000${k.doc}`
// WebAssembly.RuntimeError (a Rust panic, e.g. `unreachable`); Loro's own errors are plain strings.
const isCrash = (e: unknown) => e instanceof Error && e.name === "RuntimeError"
const describe = (e: unknown) => (e instanceof Error ? e.message : String(e)).slice(0, 300)

/**
 * The committed document from stored bytes. A stored blob that does not import (written behind
 * the push path's back, or a snapshot gone bad) is left out, as the projection quarantines it,
 * rather than making the whole document unloadable; a WebAssembly crash still propagates.
 */
const newDoc = (snapshot: Uint8Array | undefined, updates: ReadonlyArray<Uint8Array>): LoroDoc => {
  const all = snapshot === undefined ? [...updates] : [snapshot, ...updates]
  const doc = new LoroDoc()
  if (all.length === 0) return doc
  roomForImport(all)
  try {
    doc.importBatch(all)
    return doc
  } catch (err) {
    freeQuietly(doc)
    if (isCrash(err)) throw err
  }
  const oneByOne = new LoroDoc()
  for (const blob of all) {
    try {
      oneByOne.import(blob)
    } catch (err) {
      if (isCrash(err)) throw err
    }
  }
  return oneByOne
}

const context = (e: Entry): OpContext => ({
  doc: e.doc,
  committedSeq: e.committedSeq,
  committedFrontiers: e.committedFrontiers,
  atCommitted: (f) => {
    if (e.pending.length === 0) return f(e.doc)
    e.doc.checkout(e.committedFrontiers)
    try {
      return f(e.doc)
    } finally {
      e.doc.checkoutToLatest()
    }
  },
})

const validate = (key: string, e: Entry, item: ValidateItem): ItemResult => {
  for (const blob of item.reapply) e.doc.import(blob)
  const from = e.doc.oplogVersion()
  try {
    for (const blob of item.blobs) {
      const status = e.doc.import(blob)
      if (status.pending !== undefined && status.pending !== null) {
        cache.delete(key)
        return {
          _tag: "Refused",
          reason: "update depends on operations the server does not have",
          missingDeps: true,
          committedSeq: e.committedSeq,
        }
      }
    }
    if (item.check) validateBatch(e.doc, from, item.blobs)
  } catch (err) {
    // Whatever the blobs left behind must not stay: drop the copy, the next call reloads it.
    cache.delete(key)
    if (isCrash(err)) throw err
    return { _tag: "Refused", reason: describe(err) }
  }
  const frontiers = e.doc.oplogFrontiers()
  const batch = e.pending.find((p) => p.batchId === item.batchId)
  if (batch === undefined) e.pending.push({ batchId: item.batchId, frontiers })
  else batch.frontiers = frontiers
  return { _tag: "Ok" }
}

/** Validates each item in turn; a crash poisons the worker and leaves the rest not run. */
const validateAll = (items: ReadonlyArray<ValidateItem>): Validated => {
  const results: Array<ItemResult> = []
  for (const item of items) {
    if (poisoned) {
      results.push({ _tag: "NotRun" })
      continue
    }
    const key = keyOf(item.key)
    const e = cache.get(key)
    // Behind the log (another node committed meanwhile): reload before judging new bytes,
    // or an update built on those commits would be refused as missing its dependencies.
    if (e !== undefined && item.atLeastSeq !== undefined && e.pending.length === 0 && e.committedSeq < item.atLeastSeq)
      cache.delete(key)
    const entry = cache.get(key)
    if (entry === undefined) {
      results.push({ _tag: "NeedLoad" })
      continue
    }
    try {
      results.push(validate(key, entry, item))
    } catch (err) {
      if (!isCrash(err)) throw err
      poisoned = true
      results.push({ _tag: "Crashed", reason: `Loro panicked: ${describe(err)}` })
    }
  }
  return { _tag: "Validated", results }
}

const commit = (item: CommitItem): void => {
  const key = keyOf(item.key)
  const e = cache.get(key)
  const i = e === undefined ? -1 : e.pending.findIndex((p) => p.batchId === item.batchId)
  // Not the oldest pending batch here (the copy was reloaded since, or an older batch never
  // committed): the copy is stale, reload it later.
  if (e === undefined || i !== 0) cache.delete(key)
  else if (item.fromSeq !== undefined && item.fromSeq - 1 > e.committedSeq) {
    // Another node committed entries between this copy's last and this batch: it lacks them.
    cache.delete(key)
  } else {
    const [batch] = e.pending.splice(0, 1)
    e.committedSeq = Math.max(e.committedSeq, item.seq)
    e.committedFrontiers = batch!.frontiers
  }
}

const done = { _tag: "Ok", value: undefined } as const

/** One handler per request tag, each answering its own request's `Answer` (protocol.ts). */
const handlers: { readonly [T in WorkerRequest["_tag"]]: (req: RequestOf<T>) => Answer<RequestOf<T>> } = {
  Build: (req) => ({ _tag: "Ok", value: buildSnapshot(req.snapshot, req.updates) }),
  Validate: (req) => validateAll(req.items),
  Commit: (req) => {
    for (const item of req.items) commit(item)
    return done
  },
  Discard: (req) => {
    for (const k of req.keys) cache.delete(keyOf(k))
    return done
  },
  Load: (req) => {
    const doc = newDoc(req.snapshot, req.updates)
    cache.set(keyOf(req.key), { doc, committedSeq: req.seq, committedFrontiers: doc.oplogFrontiers(), pending: [] })
    return done
  },
  ExportSnapshot: (req) => {
    const key = keyOf(req.key)
    const e = cache.get(key)
    if (e === undefined) return { _tag: "NeedLoad" }
    if (e.pending.length > 0) return { _tag: "NeedSource" }
    if (req.atLeastSeq !== undefined && e.committedSeq < req.atLeastSeq) {
      cache.delete(key)
      return { _tag: "NeedLoad" }
    }
    return { _tag: "Ok", value: { bytes: e.doc.export({ mode: "snapshot" }), seq: e.committedSeq } }
  },
  Run: (req) => runOne(req),
  // Each item answers on its own (one document's failure is not the others'); a crash poisons
  // the worker, so the items after it are not run.
  RunMany: (req) => ({
    _tag: "Ok",
    value: req.items.map((item): Answer<RunRequest> => {
      if (poisoned) return { _tag: "Poisoned" }
      try {
        return runOne(item)
      } catch (err) {
        if (!isCrash(err)) return { _tag: "Failed", message: describe(err) }
        poisoned = true
        return { _tag: "Crashed", reason: `Loro panicked: ${describe(err)}` }
      }
    }),
  }),
}

function runOne(req: RunRequest): Answer<RunRequest> {
  const e = cache.get(keyOf(req.key))
  if (e === undefined) return { _tag: "NeedLoad" }
  if (!Object.hasOwn(poolOps, req.op)) return { _tag: "Failed", message: `unknown pool operation "${req.op}"` }
  return { _tag: "Ok", value: runOp(context(e), req) }
}

type RequestOf<T extends WorkerRequest["_tag"]> = Extract<WorkerRequest, { readonly _tag: T }>

/** The registry seen per name (a mapped type), so `registry[op](ctx, args)` checks for a generic `op`. */
const registry: { readonly [K in PoolOpName]: (ctx: OpContext, args: PoolOpArgs<K>) => PoolOpResult<K> } = poolOps

const runOp = <K extends PoolOpName>(ctx: OpContext, req: RunRequest<K>): PoolOpResult<K> =>
  registry[req.op](ctx, req.args)

const handle = (req: WorkerRequest): WorkerResponse =>
  (handlers[req._tag] as (req: WorkerRequest) => WorkerResponse)(req)

const buildSnapshot = (snapshot: Uint8Array | undefined, updates: ReadonlyArray<Uint8Array>): Uint8Array => {
  const doc = newDoc(snapshot, updates)
  try {
    return doc.export({ mode: "snapshot" })
  } finally {
    doc.free()
  }
}

port.on("message", ({ id, body, commits }: WorkerEnvelope<WorkerRequest>) => {
  let res: WorkerResponse
  if (poisoned) res = { _tag: "Poisoned" }
  else {
    try {
      for (const item of commits ?? []) commit(item)
      res = handle(body)
      keepLoroHeadroom()
    } catch (err) {
      if (isCrash(err)) {
        poisoned = true
        res = { _tag: "Crashed", reason: `Loro panicked: ${describe(err)}` }
      } else res = { _tag: "Failed", message: describe(err) }
    }
  }
  if (id === 0) return // Posted without waiting (commit marks): an answer would only cost a message.
  const out: WorkerEnvelope<WorkerResponse> = { id, body: res }
  port.postMessage(out)
})
