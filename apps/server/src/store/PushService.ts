import type { DocId, WorkspaceId } from "@vibestack/schema"
import {
  apiError,
  type Internal,
  type InvalidUpdate,
  type Overloaded,
  type PayloadTooLarge,
  type Unavailable,
} from "@vibestack/shared"
import { Cause, Effect, FiberRef, Option, Ref, Runtime } from "effect"
import { HealthProbes } from "../http/HealthProbes.js"
import { Limits, RetryAfter, refusal } from "../limits/Limits.js"
import { Metrics } from "../metrics/Metrics.js"
import type { ValidateOutcome } from "../pool/LoroPool.js"
import { ByteStore, type PushInput, type PushOutcome } from "./ByteStore.js"
import { checkPushBlob } from "./blobHeader.js"
import { CommitHub } from "./CommitHub.js"
import { CrashBudget } from "./CrashBudget.js"
import { DocPool } from "./DocPool.js"

type PushError = InvalidUpdate | Overloaded | PayloadTooLarge | Unavailable | Internal

/** How a push was answered: plain data, so the live socket needs no Effect per frame. */
export type PushAnswer =
  | { readonly ok: true; readonly outcome: PushOutcome }
  | { readonly ok: false; readonly error: PushError; readonly retryAfter?: number }

interface Job {
  readonly input: PushInput
  /** Settles the push (the first call counts). */
  readonly answer: (a: PushAnswer) => void
  /** When it joined its lane (performance.now()), for the stage histogram. */
  readonly at: number
  /** When its transaction committed, for the stage histogram. */
  committedAt?: number
}

/** One document's queue: pushes wait here while the document's previous batch is validated. */
interface Lane {
  readonly ws: WorkspaceId
  readonly doc: DocId
  readonly queue: Array<Job>
  /** A batch of this document is being validated (at most one: S11). */
  validating: boolean
  /** Batches of this document validated and not finished committing yet. */
  committing: number
  /**
   * Bumped whenever the pool's copy is dropped (a failed commit, a duplicate): a batch
   * validated against the copy before that must not be committed.
   */
  epoch: number
}

interface Accepted {
  readonly lane: Lane
  readonly batchId: number
  readonly jobs: Array<Job>
  /** The lane's epoch when the batch's validation started. */
  readonly epoch: number
}

/** Pushes to one document judged together at most; bigger bursts wait for the next tick. */
const MAX_LANE_BATCH = 256
/** Pushes in one tick (one pool message per worker, then one transaction). */
const MAX_TICK_JOBS = 4096
/** Keyed pushes remembered per node, to answer retries without judging them again. */
const RECENT_KEYS = 65_536
/** Ticks being validated at once (each one pool message per worker). */
const MAX_VALIDATING = 2

/**
 * The push path shared by HTTP and the live socket: cheap pure-JS checks, then validation in
 * the isolated Loro pool, then a durable commit, then the acknowledgement and the fan-out.
 * Only a blob that imported cleanly is stored; only a committed one is acknowledged or sent.
 *
 * Work moves in ticks. Every document with queued pushes and no batch being validated joins
 * the next tick: the tick's batches go to the pool in one message per worker, then each
 * accepted batch is queued at once for the byte store's group committer, which commits
 * everything queued while its previous transaction ran in one transaction (seqs allocated per
 * document under its row lock), then each push is acknowledged and the committed bytes go to
 * this node's subscribers from memory (`CommitHub`); other nodes hear of them through NOTIFY.
 *
 * Validation and commit are pipelined, per document too: once a document's batch is validated
 * (the pool's copy holds it, uncommitted) its next batch can be validated while the first one
 * commits, so under load a tick carries most documents, a transaction carries several ticks,
 * and the pool's per-message cost and the fsync are shared by many pushes. A document's
 * batches reach the committer in validation order, which commits them in that order (no batch
 * waits for another document's commit), and a batch validated against a copy that was dropped
 * since (its predecessor failed to commit, or was a duplicate) is left out of the transaction
 * and answered Unavailable, to be retried with the same key, never stored.
 *
 * A push joins its document's lane before anything asynchronous happens, and a document has at
 * most one batch in validation, so pushes are validated and committed in the order they
 * arrived: a client that sends update B (which depends on A) right after A must not see B
 * judged first and refused (S11).
 */
export class PushService extends Effect.Service<PushService>()("PushService", {
  scoped: Effect.gen(function* () {
    const store = yield* ByteStore
    const pool = yield* DocPool
    const metrics = yield* Metrics
    const limits = yield* Limits
    const hub = yield* CommitHub
    const budget = yield* CrashBudget
    const runPromise = Runtime.runPromise(yield* Effect.runtime<never>())
    const lanes = new Map<string, Lane>()
    /** Lanes with queued pushes and nothing in flight, in the order they became ready. */
    const ready = new Set<string>()
    let validating = 0
    /** Pushes in lanes, not yet taken into a tick (queue depth: metrics and readiness). */
    let waiting = 0
    /** After shutdown no tick starts; pushes still queued are answered Unavailable. */
    let closed = false
    metrics.gauge("vibestack_push_queue_depth", () => waiting)
    yield* Ref.update(yield* HealthProbes, (p) => ({ ...p, pushQueue: () => waiting }))

    const stage = (name: string, ms: number) =>
      metrics.observe("vibestack_push_stage_seconds", ms / 1000, { stage: name })
    const refused = (reason: string) => metrics.inc("vibestack_refused_blobs_total", { reason })
    const fail = (jobs: ReadonlyArray<Job>, error: PushError) => {
      for (const j of jobs) j.answer({ ok: false, error })
    }

    /** Queues the lane for its next batch, or forgets it when it has nothing left to do. */
    const settle = (lane: Lane) => {
      const key = keyOf(lane.ws, lane.doc)
      if (lane.queue.length > 0) {
        if (!lane.validating) ready.add(key)
      } else if (!lane.validating && lane.committing === 0) lanes.delete(key)
    }

    /**
     * The pool's copy of the lane's document is dropped: batches validated on it are stale (the
     * epoch moves at once; the pool forgets the copy before the promise settles).
     */
    const dropCopy = (lane: Lane): Promise<void> => {
      lane.epoch++
      return runPromise(pool.discard(lane.ws, lane.doc))
    }

    /**
     * Validates one tick, frees its lanes for their next batch, then queues what passed for the
     * committer. Never rejects: every push of the tick is answered whatever happens (a bug
     * included).
     */
    const runTick = async (tick: ReadonlyArray<[Lane, Array<Job>]>, freeSlot: () => void): Promise<void> => {
      const epochs = tick.map(([lane]) => lane.epoch)
      const accepted: Array<Accepted> = []
      let freed = false
      /** The lanes may take their next batch (once, synchronously). */
      const freeLanes = () => {
        if (freed) return
        freed = true
        for (const [lane] of tick) lane.validating = false
        for (const [lane] of tick) settle(lane)
        pump()
      }
      try {
        const validating0 = performance.now()
        for (const [, jobs] of tick) for (const j of jobs) stage("queue", validating0 - j.at)
        let outcomes: ReadonlyArray<ValidateOutcome>
        try {
          outcomes = await pool.validateMany(
            tick.map(([lane, jobs]) => ({ ws: lane.ws, doc: lane.doc, blobs: jobs.map((j) => j.input.bytes) })),
          )
        } finally {
          freeSlot()
        }
        metrics.observe("vibestack_validate_seconds", (performance.now() - validating0) / 1000)
        stage("validate", performance.now() - validating0)
        for (const [i, [lane, jobs]] of tick.entries()) {
          const outcome = outcomes[i]!
          if (outcome._tag === "Failed") {
            refused("pool")
            fail(
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
              if (r?.crashed) await runPromise(budget.crashed(lane.ws))
              job.answer({ ok: false, error: apiError("InvalidUpdate", `update refused: ${r?.reason ?? "no result"}`) })
            }
          }
          if (ok.length === 0) continue
          accepted.push({ lane, batchId: outcome.batchId, jobs: ok, epoch: epochs[i]! })
          lane.committing++
        }
        freeLanes()
        // Queued now, synchronously after the lanes were freed: a document's next batch is
        // validated only after this, so it also reaches the committer after this one (S11).
        await Promise.all(accepted.map(commit))
      } catch (cause) {
        void runPromise(Effect.logError("push tick failed", Cause.die(cause)))
        fail(
          tick.flatMap(([, jobs]) => jobs),
          apiError("Unavailable", "could not process the push; retry with the same Idempotency-Key"),
        )
        // The copies may hold what was never stored.
        await Promise.all(accepted.map((a) => dropCopy(a.lane))).catch(() => {})
      } finally {
        for (const a of accepted) a.lane.committing--
        freeLanes()
        for (const a of accepted) settle(a.lane)
      }
    }

    /**
     * What the committer's transactions settled, handed on once per transaction (its groups
     * are settled one after the other, synchronously): one pool message, one fan-out, then the
     * answers, so subscribers have an update no later than its pusher's acknowledgement.
     */
    let settledCommits: Array<{ ws: WorkspaceId; doc: DocId; batchId: number; seq: number; fromSeq: number }> = []
    let settledPublished: Array<{ ws: WorkspaceId; doc: DocId; seq: number; bytes: Uint8Array }> = []
    let settledAnswers: Array<() => void> = []
    let handingOn = false
    const handOn = () => {
      handingOn = false
      const commits = settledCommits
      const published = settledPublished
      const answers = settledAnswers
      settledCommits = []
      settledPublished = []
      settledAnswers = []
      try {
        if (commits.length > 0) pool.commitMany(commits)
        if (published.length > 0) hub.publish(published)
      } catch (cause) {
        // A bug: the commits are durable all the same, so they are still acknowledged; the
        // pool's copies are reloaded from the log and subscribers catch up by reading it.
        void runPromise(Effect.logError("handing on committed pushes failed", Cause.die(cause)))
        for (const c of commits) {
          const lane = lanes.get(keyOf(c.ws, c.doc))
          if (lane !== undefined) dropCopy(lane).catch(() => {})
        }
        hub.recheck(published.map((p) => ({ ws: p.ws, doc: p.doc })))
      } finally {
        for (const answer of answers) answer()
      }
    }
    const handOnSoon = () => {
      if (handingOn) return
      handingOn = true
      queueMicrotask(handOn)
    }

    /**
     * Queues one document's validated batch for the committer; resolves once its pushes are
     * answered. Batches of many documents and ticks share a transaction (one fsync); a
     * document's batches commit in the order they were validated, and one validated on a copy
     * dropped since (its predecessor failed, or was a duplicate) is left out, never stored.
     */
    const commit = (a: Accepted): Promise<void> =>
      new Promise<void>((done) => {
        const queued = performance.now()
        const { lane, jobs } = a
        const answer = (f: () => void) => {
          handOnSoon()
          settledAnswers.push(() => {
            f()
            done()
          })
        }
        store.enqueue({
          group: jobs.map((j) => j.input),
          origin: hub.origin,
          stale: () => a.epoch !== lane.epoch,
          settle: (o) => {
            if (o._tag === "Stale") {
              const error = apiError(
                "Unavailable",
                "an earlier push to this document failed; retry with the same Idempotency-Key",
              )
              return answer(() => fail(jobs, error))
            }
            const now = performance.now()
            stage("commit_wait", o.started - queued)
            stage("commit", now - o.started)
            if (o._tag === "Failed") {
              // It may have committed all the same (a timeout): subscribers get whatever the log holds.
              hub.recheck([{ ws: lane.ws, doc: lane.doc }])
              // The copy holds what was never stored: dropped (now, so the document's later
              // batches are stale) before the pushes are answered.
              const refuse = () => answer(() => fail(jobs, o.error))
              dropCopy(lane).then(refuse, refuse)
              return
            }
            const outcomes = o.outcomes
            const acknowledge = () => {
              for (const [k, job] of jobs.entries()) {
                job.committedAt = now
                job.answer({ ok: true, outcome: outcomes[k]! })
              }
            }
            for (const [k, out] of outcomes.entries())
              if (!out.duplicate)
                settledPublished.push({ ws: lane.ws, doc: lane.doc, seq: out.seq, bytes: jobs[k]!.input.bytes })
            handOnSoon()
            // A duplicate key stored nothing, but its bytes (possibly not the first push's) were
            // imported into the pool's copy: reload that copy from the log rather than trust it.
            if (outcomes.some((out) => out.duplicate)) {
              const ack = () => answer(acknowledge)
              dropCopy(lane).then(ack, ack)
            } else {
              settledCommits.push({
                ws: lane.ws,
                doc: lane.doc,
                batchId: a.batchId,
                seq: outcomes.at(-1)!.seq,
                fromSeq: outcomes[0]!.seq,
              })
              answer(acknowledge)
            }
          },
        })
      })

    /**
     * Takes ready lanes into ticks while a validation slot is free. Runs from `setImmediate`:
     * every frame read in this turn of the event loop (many sockets) joins the same tick.
     */
    let pumpQueued = false
    const pump = () => {
      if (pumpQueued) return
      pumpQueued = true
      setImmediate(takeTicks)
    }
    const takeTicks = () => {
      pumpQueued = false
      while (ready.size > 0 && validating < MAX_VALIDATING) {
        const tick: Array<[Lane, Array<Job>]> = []
        let jobs = 0
        for (const key of ready) {
          if (jobs >= MAX_TICK_JOBS) break
          ready.delete(key)
          const lane = lanes.get(key)!
          lane.validating = true
          const batch = lane.queue.splice(0, MAX_LANE_BATCH)
          waiting -= batch.length
          jobs += batch.length
          tick.push([lane, batch])
          metrics.observe("vibestack_validate_batch_size", batch.length)
        }
        metrics.observe("vibestack_tick_docs_size", tick.length)
        if (closed) {
          fail(
            tick.flatMap(([, batch]) => batch),
            apiError("Unavailable", "the server is shutting down; retry with the same Idempotency-Key"),
          )
          // A lane with more than one batch queued comes round again, until all are answered.
          for (const [lane] of tick) {
            lane.validating = false
            settle(lane)
          }
          continue
        }
        validating++
        let holding = true
        const freeSlot = () => {
          if (!holding) return
          holding = false
          validating--
          pump()
        }
        void runTick(tick, freeSlot)
      }
    }
    yield* Effect.addFinalizer(() =>
      Effect.sync(() => {
        closed = true
        pump()
      }),
    )

    /** Pushes in flight by (workspace, document, idempotency key). */
    const inFlight = new Map<string, Promise<PushAnswer>>()
    /** The seqs of the latest keyed pushes this node committed (oldest evicted first). */
    const committedKeys = new Map<string, number>()
    const remember = (idem: string, seq: number) => {
      committedKeys.delete(idem)
      committedKeys.set(idem, seq)
      if (committedKeys.size > RECENT_KEYS) committedKeys.delete(committedKeys.keys().next().value!)
    }
    const answered = (input: PushInput, started: number, outcome: PushOutcome): PushAnswer => {
      metrics.inc("vibestack_pushes_total", { duplicate: String(outcome.duplicate) })
      metrics.inc("vibestack_push_bytes_total", undefined, input.bytes.length)
      metrics.observe("vibestack_push_seconds", (performance.now() - started) / 1000)
      return { ok: true, outcome }
    }

    /** Joins the document's lane; nothing asynchronous happens before (see the class comment). */
    const queue = (input: PushInput, idem: string | undefined, started: number): Promise<PushAnswer> => {
      const key = keyOf(input.ws, input.doc)
      let lane = lanes.get(key)
      if (lane === undefined) {
        lane = {
          ws: input.ws,
          doc: input.doc,
          queue: [],
          validating: false,
          committing: 0,
          epoch: 0,
        }
        lanes.set(key, lane)
      }
      let answer!: (a: PushAnswer) => void
      const done = new Promise<PushAnswer>((resolve) => (answer = resolve))
      const job: Job = { input, answer, at: performance.now() }
      lane.queue.push(job)
      waiting++
      if (!lane.validating && !ready.has(key)) {
        ready.add(key)
        pump()
      }
      if (idem !== undefined && !inFlight.has(idem)) inFlight.set(idem, done)
      return done.then((a) => {
        if (idem !== undefined && inFlight.get(idem) === done) inFlight.delete(idem)
        if (!a.ok) return a
        if (job.committedAt !== undefined) stage("answer", performance.now() - job.committedAt)
        if (idem !== undefined) remember(idem, a.outcome.seq)
        return answered(input, started, a.outcome)
      })
    }

    /** A push the workspace's limits let in: checked, then judged and committed in its lane. */
    const admitted = (input: PushInput): Promise<PushAnswer> => {
      const started = performance.now()
      const header = checkPushBlob(input.bytes)
      if (!header.ok) {
        refused("header")
        return Promise.resolve({
          ok: false,
          error: apiError("InvalidUpdate", `not a Loro update: ${header.reason}`),
        })
      }
      const over = budget.blocked(input.ws)
      if (over !== undefined) {
        refused("crash_budget")
        return Promise.resolve({ ok: false, ...refusal(over, "too many refused updates from this workspace") })
      }
      const idem = input.idempotencyKey === undefined ? undefined : keyOf(input.ws, input.doc, input.idempotencyKey)
      if (idem !== undefined) {
        // A retry of a push this node committed lately, or has in flight: answered with the
        // first one's seq, without validating or storing anything (S1). A retry of a push
        // that failed is judged on its own.
        const seq = committedKeys.get(idem)
        if (seq !== undefined) return Promise.resolve(answered(input, started, { seq, duplicate: true }))
        const first = inFlight.get(idem)
        if (first !== undefined)
          return first.then((a) =>
            a.ok ? answered(input, started, { seq: a.outcome.seq, duplicate: true }) : queue(input, idem, started),
          )
      }
      return queue(input, idem, started)
    }

    /**
     * The live socket's entry: plain promises, no Effect per frame (a fiber per push cost more
     * than the rest of the main thread's share of it). Never rejects.
     */
    const submit = (input: PushInput): Promise<PushAnswer> => {
      const denied = limits.admitPush(input.ws, input.doc, input.bytes.length)
      return denied === undefined ? admitted(input) : Promise.resolve({ ok: false, ...denied })
    }

    /** The same as an Effect (HTTP, revert): an Overloaded refusal sets its Retry-After. */
    const push = Effect.fn("PushService.push")(function* (input: PushInput) {
      const a = yield* Effect.promise(() => submit(input))
      if (a.ok) return a.outcome
      if (a.retryAfter !== undefined) yield* FiberRef.set(RetryAfter, Option.some(a.retryAfter))
      return yield* Effect.fail(a.error)
    })

    return { push, submit } as const
  }),
}) {}

const keyOf = (...parts: ReadonlyArray<string>) => parts.join("\u0000")
