import type { DocId, WorkspaceId } from "@vibestack/schema"
import { apiError, type Internal, type InvalidUpdate, type Overloaded, type Unavailable } from "@vibestack/shared"
import { Deferred, Effect, Exit, FiberId, Queue, Ref } from "effect"
import { HealthProbes } from "../http/HealthProbes.js"
import { Limits, overloaded } from "../limits/Limits.js"
import { Metrics } from "../metrics/Metrics.js"
import { ByteStore, type PushInput, type PushOutcome } from "./ByteStore.js"
import { checkPushBlob } from "./blobHeader.js"
import { CommitHub } from "./CommitHub.js"
import { CrashBudget } from "./CrashBudget.js"
import { DocPool } from "./DocPool.js"

type PushError = InvalidUpdate | Overloaded | Unavailable | Internal

interface Job {
  readonly input: PushInput
  readonly done: Deferred.Deferred<PushOutcome, PushError>
}

/** One document's queue: pushes wait here while the document's previous batch is in flight. */
interface Lane {
  readonly ws: WorkspaceId
  readonly doc: DocId
  readonly queue: Array<Job>
  busy: boolean
}

/** Pushes to one document judged together at most; bigger bursts wait for the next tick. */
const MAX_LANE_BATCH = 256
/** Pushes in one tick (one pool message per worker, then one transaction). */
const MAX_TICK_JOBS = 4096
/** Ticks being validated at once: the next tick is judged while the previous one commits. */
const MAX_VALIDATING = 2

/**
 * The push path shared by HTTP and the live socket: cheap pure-JS checks, then validation in
 * the isolated Loro pool, then a durable commit, then the acknowledgement and the fan-out.
 * Only a blob that imported cleanly is stored; only a committed one is acknowledged or sent.
 *
 * Work moves in ticks. Every document with queued pushes and nothing in flight joins the next
 * tick: the tick's batches go to the pool in one message per worker, the accepted blobs of all
 * its documents commit in one transaction (seqs allocated per document under its row lock, by
 * the byte store), then each push is acknowledged and the committed bytes go to this node's
 * subscribers from memory (`CommitHub`); other nodes hear of them through NOTIFY. While a tick
 * commits, the next one is validated.
 *
 * A push joins its document's lane before anything asynchronous happens, and a document has at
 * most one batch in flight, so pushes are validated and committed in the order they arrived:
 * a client that sends update B (which depends on A) right after A must not see B judged first
 * and refused (S11).
 */
export class PushService extends Effect.Service<PushService>()("PushService", {
  scoped: Effect.gen(function* () {
    const store = yield* ByteStore
    const pool = yield* DocPool
    const metrics = yield* Metrics
    const limits = yield* Limits
    const hub = yield* CommitHub
    const budget = yield* CrashBudget
    const lanes = new Map<string, Lane>()
    /** Lanes with queued pushes and nothing in flight, in the order they became ready. */
    const ready = new Set<string>()
    const wake = yield* Queue.sliding<void>(1)
    const scope = yield* Effect.scope
    let validating = 0
    /** Pushes in lanes, not yet taken into a tick (queue depth: metrics and readiness). */
    let waiting = 0
    metrics.gauge("vibestack_push_queue_depth", () => waiting)
    yield* Ref.update(yield* HealthProbes, (p) => ({ ...p, pushQueue: () => waiting }))

    const refused = (reason: string) => metrics.inc("vibestack_refused_blobs_total", { reason })
    const fail = (jobs: ReadonlyArray<Job>, e: PushError) =>
      Effect.forEach(jobs, (j) => Deferred.fail(j.done, e), { discard: true })

    /**
     * Validates one tick, then commits what passed; `freeSlot` lets the next tick be validated
     * while this one commits, and the lanes free up when it is done.
     */
    const runTick = (tick: ReadonlyArray<[Lane, Array<Job>]>, freeSlot: Effect.Effect<void>) =>
      Effect.gen(function* () {
        const validating0 = performance.now()
        const outcomes = yield* pool.validateMany(
          tick.map(([lane, jobs]) => ({ ws: lane.ws, doc: lane.doc, blobs: jobs.map((j) => j.input.bytes) })),
        )
        metrics.observe("vibestack_validate_seconds", (performance.now() - validating0) / 1000)
        yield* freeSlot
        const accepted: Array<{ lane: Lane; batchId: number; jobs: Array<Job> }> = []
        for (const [i, [lane, jobs]] of tick.entries()) {
          const outcome = outcomes[i]!
          if (outcome._tag === "Failed") {
            refused("pool")
            yield* fail(
              jobs,
              apiError(
                outcome.error.kind === "Unavailable" ? "Unavailable" : "Internal",
                `validation unavailable: ${outcome.error.message}`,
              ),
            )
            continue
          }
          const ok: Array<Job> = []
          for (const [k, job] of jobs.entries()) {
            const r = outcome.results[k]
            if (r?.ok) ok.push(job)
            else {
              refused(r?.crashed ? "crash" : "invalid")
              if (r?.crashed) yield* budget.crashed(lane.ws)
              yield* Deferred.fail(job.done, apiError("InvalidUpdate", `update refused: ${r?.reason ?? "no result"}`))
            }
          }
          if (ok.length > 0) accepted.push({ lane, batchId: outcome.batchId, jobs: ok })
        }
        if (accepted.length === 0) return
        // One transaction for the whole tick, each document's blobs in validation order.
        const exit = yield* Effect.exit(store.appendAll(accepted.flatMap((a) => a.jobs.map((j) => j.input))))
        if (Exit.isFailure(exit)) {
          for (const a of accepted) {
            yield* pool.discard(a.lane.ws, a.lane.doc)
            for (const job of a.jobs) yield* Deferred.failCause(job.done, exit.cause)
          }
          return
        }
        let at = 0
        const commits: Array<{ ws: WorkspaceId; doc: DocId; batchId: number; seq: number; fromSeq: number }> = []
        const published: Array<{ ws: WorkspaceId; doc: DocId; seq: number; bytes: Uint8Array }> = []
        for (const a of accepted) {
          const mine = exit.value.slice(at, at + a.jobs.length)
          at += a.jobs.length
          // A duplicate key stored nothing, but its bytes (possibly not the first push's) were
          // imported into the pool's copy: reload that copy from the log rather than trust it.
          if (mine.some((o) => o.duplicate)) yield* pool.discard(a.lane.ws, a.lane.doc)
          else
            commits.push({
              ws: a.lane.ws,
              doc: a.lane.doc,
              batchId: a.batchId,
              seq: mine.at(-1)!.seq,
              fromSeq: mine[0]!.seq,
            })
          for (const [k, o] of mine.entries())
            if (!o.duplicate)
              published.push({ ws: a.lane.ws, doc: a.lane.doc, seq: o.seq, bytes: a.jobs[k]!.input.bytes })
        }
        pool.commitMany(commits)
        hub.publish(published)
        for (const [k, job] of accepted.flatMap((a) => a.jobs).entries())
          yield* Deferred.succeed(job.done, exit.value[k]!)
      }).pipe(
        // Every push of the tick is answered whatever happens (a defect included).
        Effect.catchAllCause((cause) =>
          Effect.logError("push tick failed", cause).pipe(
            Effect.zipRight(
              fail(
                tick.flatMap(([, jobs]) => jobs),
                apiError("Unavailable", "could not process the push; retry with the same Idempotency-Key"),
              ),
            ),
          ),
        ),
        Effect.ensuring(
          Effect.zipRight(
            freeSlot,
            Effect.sync(() => free(tick)),
          ),
        ),
      )

    /** The tick's lanes take their next batch, or are dropped when empty (synchronously: no push is stranded). */
    const free = (tick: ReadonlyArray<[Lane, Array<Job>]>) => {
      for (const [lane] of tick) {
        lane.busy = false
        const key = keyOf(lane.ws, lane.doc)
        if (lane.queue.length > 0) ready.add(key)
        else lanes.delete(key)
      }
      Queue.unsafeOffer(wake, undefined)
    }

    /** Takes ready lanes into a tick while a validation slot is free. */
    const schedule = Effect.gen(function* () {
      yield* Queue.take(wake)
      while (ready.size > 0 && validating < MAX_VALIDATING) {
        const tick: Array<[Lane, Array<Job>]> = []
        let jobs = 0
        for (const key of ready) {
          if (jobs >= MAX_TICK_JOBS) break
          ready.delete(key)
          const lane = lanes.get(key)!
          lane.busy = true
          const batch = lane.queue.splice(0, MAX_LANE_BATCH)
          waiting -= batch.length
          jobs += batch.length
          tick.push([lane, batch])
          metrics.observe("vibestack_validate_batch_size", batch.length)
        }
        metrics.observe("vibestack_tick_docs_size", tick.length)
        validating++
        let holding = true
        const freeSlot = Effect.sync(() => {
          if (!holding) return
          holding = false
          validating--
          Queue.unsafeOffer(wake, undefined)
        })
        yield* Effect.forkIn(runTick(tick, freeSlot), scope)
      }
    }).pipe(Effect.forever)

    yield* Effect.forkScoped(schedule)

    const push = Effect.fn("PushService.push")(function* (input: PushInput) {
      yield* limits.checkPush(input.ws, input.doc, input.bytes.length)
      const started = performance.now()
      const header = checkPushBlob(input.bytes)
      if (!header.ok) {
        refused("header")
        return yield* Effect.fail(apiError("InvalidUpdate", `not a Loro update: ${header.reason}`))
      }
      const over = budget.blocked(input.ws)
      if (over !== undefined) {
        refused("crash_budget")
        return yield* overloaded(over, "too many refused updates from this workspace")
      }
      // Nothing asynchronous before the lane: see the class comment.
      const done = Deferred.unsafeMake<PushOutcome, PushError>(FiberId.none)
      const key = keyOf(input.ws, input.doc)
      let lane = lanes.get(key)
      if (lane === undefined) lanes.set(key, (lane = { ws: input.ws, doc: input.doc, queue: [], busy: false }))
      lane.queue.push({ input, done })
      waiting++
      if (!lane.busy && !ready.has(key)) {
        ready.add(key)
        Queue.unsafeOffer(wake, undefined)
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

const keyOf = (ws: string, doc: string) => `${ws}\u0000${doc}`
