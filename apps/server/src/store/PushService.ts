import type { DocId, WorkspaceId } from "@vibestack/schema"
import { apiError, type BadRequest, type Internal, type InvalidUpdate, type Unavailable } from "@vibestack/shared"
import { Deferred, Effect, Exit, FiberId } from "effect"
import { Limits } from "../limits/Limits.js"
import { Metrics } from "../metrics/Metrics.js"
import { ByteStore, MAX_DOCS_PER_WORKSPACE, type PushInput, type PushOutcome } from "./ByteStore.js"
import { checkPushBlob } from "./blobHeader.js"
import { DocPool } from "./DocPool.js"

type PushError = BadRequest | InvalidUpdate | Unavailable | Internal

interface Job {
  readonly input: PushInput
  readonly done: Deferred.Deferred<PushOutcome, PushError>
}

/** Pushes to one document validated together at most; bigger bursts wait for the next round. */
const MAX_LANE_BATCH = 64

/**
 * The push path shared by HTTP and the live socket: cheap pure-JS checks, then
 * validation in the isolated Loro pool, then the group commit. Only a blob that
 * imported cleanly is stored; only a committed one is acknowledged (and fanned out,
 * by the commit's NOTIFY).
 *
 * Each document has a lane: pushes that arrive while its previous batch is in flight
 * queue up and are validated as one batch (one health check instead of many), then
 * committed together, then marked committed in the pool, so the pool's copy and the
 * log advance in the same order.
 *
 * A push joins its lane before anything asynchronous happens, so pushes reach the
 * pool in the order they arrived: a client that sends update B (which depends on A)
 * right after A on one socket must not see B validated first and refused (S11).
 */
export class PushService extends Effect.Service<PushService>()("PushService", {
  effect: Effect.gen(function* () {
    const store = yield* ByteStore
    const pool = yield* DocPool
    const metrics = yield* Metrics
    const limits = yield* Limits
    const lanes = new Map<string, Array<Job>>()

    const refused = (reason: string) => metrics.inc("vibestack_refused_blobs_total", { reason })

    /**
     * The log's head (0 for a new document), read once per batch in lane order; undefined when
     * a new document would pass the workspace's limit.
     */
    const headOrFull = (ws: WorkspaceId, doc: DocId) =>
      Effect.gen(function* () {
        const cursor = yield* store.docCursor(ws, doc).pipe(Effect.orElseSucceed(() => undefined))
        if (cursor !== undefined) return cursor
        const count = yield* store.countDocs(ws).pipe(Effect.orElseSucceed(() => 0))
        return count < MAX_DOCS_PER_WORKSPACE ? 0 : undefined
      })

    const runBatch = (ws: WorkspaceId, doc: DocId, jobs: ReadonlyArray<Job>) =>
      Effect.gen(function* () {
        const head = yield* headOrFull(ws, doc)
        if (head === undefined) {
          const full = apiError("BadRequest", `a workspace may hold at most ${MAX_DOCS_PER_WORKSPACE} documents`)
          return yield* Effect.forEach(jobs, (j) => Deferred.fail(j.done, full), { discard: true })
        }
        const validating = performance.now()
        // Against a copy at least at `head`: other nodes' commits, which a client may build on
        // (it can only have seen committed ones), are in the copy before its bytes are judged.
        const results = yield* pool.validate(
          ws,
          doc,
          jobs.map((j) => j.input.bytes),
          head,
        )
        metrics.observe("vibestack_validate_seconds", (performance.now() - validating) / 1000)
        const accepted: Array<Job> = []
        for (const [i, job] of jobs.entries()) {
          const r = results[i]
          if (r?.ok) accepted.push(job)
          else {
            refused("invalid")
            yield* Deferred.fail(job.done, apiError("InvalidUpdate", `update refused: ${r?.reason ?? "no result"}`))
          }
        }
        if (accepted.length === 0) return
        // One transaction, in validation order: the log holds the batch as the pool imported it.
        const exit = yield* Effect.exit(store.appendAll(accepted.map((j) => j.input)))
        if (Exit.isSuccess(exit)) {
          // A duplicate key stored nothing, but its bytes (possibly not the first push's) were
          // imported into the pool's copy: reload that copy from the log rather than trust it.
          const seqs = exit.value.map((o) => o.seq)
          if (exit.value.some((o) => o.duplicate)) yield* pool.discard(ws, doc)
          else yield* pool.committed(ws, doc, Math.min(...seqs), Math.max(...seqs))
          for (const [i, job] of accepted.entries()) yield* Deferred.succeed(job.done, exit.value[i]!)
        } else {
          yield* pool.discard(ws, doc)
          for (const job of accepted) yield* Deferred.failCause(job.done, exit.cause)
        }
      }).pipe(
        Effect.catchAll((e) =>
          Effect.forEach(jobs, (j) => Deferred.fail(j.done, e), { discard: true }).pipe(
            Effect.tap(() => refused("pool")),
          ),
        ),
      )

    /** Drains one document's lane until it is empty, then removes it (synchronously, so no push is stranded). */
    const drain = (key: string, ws: WorkspaceId, doc: DocId): Effect.Effect<void> =>
      Effect.suspend(() => {
        const lane = lanes.get(key)!
        const jobs = lane.splice(0, MAX_LANE_BATCH)
        if (jobs.length === 0) {
          lanes.delete(key)
          return Effect.void
        }
        metrics.observe("vibestack_validate_batch_size", jobs.length)
        return Effect.zipRight(runBatch(ws, doc, jobs), drain(key, ws, doc))
      })

    const push = Effect.fn("PushService.push")(function* (input: PushInput) {
      yield* limits.checkPush(input.ws, input.doc, input.bytes.length)
      const started = performance.now()
      const header = checkPushBlob(input.bytes)
      if (!header.ok) {
        refused("header")
        return yield* Effect.fail(apiError("InvalidUpdate", `not a Loro update: ${header.reason}`))
      }
      // Nothing asynchronous before the lane: see the class comment.
      const done = Deferred.unsafeMake<PushOutcome, PushError>(FiberId.none)
      const key = `${input.ws}\u0000${input.doc}`
      const lane = lanes.get(key)
      if (lane) lane.push({ input, done })
      else {
        lanes.set(key, [{ input, done }])
        yield* Effect.forkDaemon(drain(key, input.ws, input.doc))
      }
      const outcome = yield* Deferred.await(done)
      metrics.inc("vibestack_pushes_total", { duplicate: String(outcome.duplicate) })
      metrics.inc("vibestack_push_bytes_total", undefined, input.bytes.length)
      metrics.observe("vibestack_push_seconds", (performance.now() - started) / 1000)
      return outcome
    })

    return { push } as const
  }),
}) {}
