import { PgClient } from "@effect/sql-pg"
import {
  Cause,
  Clock,
  Duration,
  Effect,
  Exit,
  FiberMap,
  FiberSet,
  Layer,
  Option,
  Queue,
  Redacted,
  Ref,
  Schedule,
} from "effect"
import { Bus } from "../bus/Bus.js"
import { HealthProbes, type ProjectionProbe } from "../http/HealthProbes.js"
import { Metrics } from "../metrics/Metrics.js"
import { snapshotDue } from "../store/snapshotTail.js"
import { Leases } from "./Leases.js"
import { ProjectionConfig } from "./ProjectionConfig.js"
import { makeProjectionPools } from "./ProjectionPools.js"
import { makeProjectionStore } from "./ProjectionStore.js"
import { type BatchOutcome, ProjectionConflict, projectBatch, projectGroup, storeSnapshot } from "./projectDoc.js"
import { adaptBatch, type DocTurn, docKey, Scheduler, type TurnOutcome } from "./Scheduler.js"

/** How long a document goes without a projection batch before its snapshot is brought near (S27). */
const SNAPSHOT_QUIET_MS = 2_000

const make = (background: boolean) =>
  Effect.gen(function* () {
    const config = yield* ProjectionConfig
    const pgClient = yield* PgClient.PgClient
    const metrics = yield* Metrics
    const probes = yield* HealthProbes
    const bus = yield* Bus
    const store = yield* makeProjectionStore
    const pools = yield* makeProjectionPools(config, store)
    const runFork = yield* FiberSet.makeRuntime<never>()
    const url = Option.getOrThrow(Option.fromNullable(pgClient.config.url))
    const clock = yield* Effect.clock

    const leases = yield* Effect.acquireRelease(
      Effect.sync(
        () =>
          new Leases(
            Redacted.value(url),
            (change, workspaces) => {
              metrics.inc("vibestack_projection_lease_changes_total", { change }, workspaces.length)
              const line = `projection lease ${change}: ${workspaces.slice(0, 20).join(", ")}`
              runFork(change === "lost" ? Effect.logWarning(line) : Effect.logInfo(line))
            },
            () => clock.unsafeCurrentTimeMillis(),
          ),
      ),
      (l) => l.close(),
    )
    const scheduler = new Scheduler({
      concurrency: config.concurrency,
      batchMax: config.batchUpdates,
      batchBudgetMs: config.batchBudgetMs,
      backoffBaseMs: config.backoffBaseMs,
      backoffMaxMs: config.backoffMaxMs,
      gatherMs: config.gatherMs,
      gatherFrom: config.gatherFrom,
    })

    let lag = 0
    metrics.gauge("vibestack_projection_lag", () => lag)
    metrics.gauge("vibestack_projection_leases", () => leases.heldLeases().size)
    metrics.gauge("vibestack_projection_backoff_docs", () => scheduler.failing())
    metrics.gauge("vibestack_projection_running", () => {
      const r = scheduler.runningCount()
      return [
        [{ lane: "light" }, r.light],
        [{ lane: "heavy" }, r.heavy],
      ]
    })
    yield* Ref.update(probes, (p) => ({
      ...p,
      projectionLag: store.totalLag.pipe(
        Effect.tap((n) => Effect.sync(() => (lag = n))),
        Effect.orElseSucceed(() => null),
      ),
    }))

    /** Each document's lane is decided before its first batch on this node: large means heavy. */
    const weighed = new Set<string>()
    const classify = (ws: string, doc: string) =>
      Effect.gen(function* () {
        const key = docKey(ws, doc)
        if (weighed.has(key)) return
        if ((yield* store.weight(ws, doc)) > config.heavyBytes) scheduler.markHeavy(ws, doc)
        weighed.add(key)
      })

    /** One batch of one document, in its lane's pool; a conflict (the state moved under it) is redone. */
    const runBatch = (ws: string, doc: string, batchUpdates: number) =>
      Effect.gen(function* () {
        yield* classify(ws, doc)
        const heavy = scheduler.isHeavy(ws, doc)
        const pool = yield* pools.poolFor(heavy)
        const started = performance.now()
        const r = yield* projectBatch(store, pool, ws, doc, { ...config, batchUpdates }).pipe(
          Effect.retry({ times: 5, while: (e) => e instanceof ProjectionConflict }),
        )
        const seconds = (performance.now() - started) / 1000
        if (!r.progressed) return { ...r, seconds }
        yield* recordBatch(ws, doc, r, seconds, heavy)
        if (!heavy && seconds * 1000 > config.heavyBatchMs) {
          scheduler.markHeavy(ws, doc)
          yield* pools.leaveLight(ws, doc)
          yield* Effect.logInfo(
            `projection: ${ws}/${doc} moves to the heavy lane (a batch took ${seconds.toFixed(1)} s)`,
          )
        }
        return { ...r, seconds }
      })

    /** A batch's metrics and warnings (alone or in a group). */
    const recordBatch = (ws: string, doc: string, r: BatchOutcome, seconds: number, heavy: boolean) =>
      Effect.gen(function* () {
        metrics.inc("vibestack_projection_updates_total", undefined, r.updates)
        metrics.inc("vibestack_projection_entity_changes_total", undefined, r.entityChanges)
        metrics.observe("vibestack_projection_batch_seconds", seconds, { lane: heavy ? "heavy" : "light" })
        metrics.observe("vibestack_projection_batch_updates", r.updates)
        if (r.quarantined > 0) {
          metrics.inc("vibestack_projection_quarantined_total", undefined, r.quarantined)
          yield* Effect.logWarning(
            `projection quarantined ${r.quarantined} update(s) of ${ws}/${doc} that do not import`,
          )
        }
        if (r.issues > 0) {
          metrics.inc("vibestack_projection_invalid_entities_total", undefined, r.issues)
          yield* Effect.logWarning(`projection of ${ws}/${doc}: ${r.issues} unreadable entit(ies) left out`)
        }
      })

    /** Projects one document until it is caught up (the CLI and `catchUp`); returns the updates projected. */
    const projectDoc = Effect.fn("Projector.projectDoc")(function* (ws: string, doc: string) {
      let total = 0
      let batch = config.batchUpdates
      while (true) {
        const r = yield* runBatch(ws, doc, batch)
        if (!r.progressed) return total
        total += r.updates
        batch = adaptBatch(batch, r.seconds, r.full, {
          batchMax: config.batchUpdates,
          batchBudgetMs: config.batchBudgetMs,
        })
      }
    })

    /** Holds (or takes) the workspace's lease; false when another node has it or this node is full. */
    const lease = (ws: string) =>
      Effect.gen(function* () {
        if (leases.has(ws)) return true
        if (leases.heldLeases().size >= config.maxLeases) return false
        return yield* leases.tryAcquire(ws)
      })

    /** Projects every lagging document of a workspace this node holds the lease of. */
    const projectWorkspace = (ws: string) =>
      Effect.gen(function* () {
        if (!(yield* lease(ws))) return false
        for (const doc of yield* store.laggingDocs(ws)) yield* projectDoc(ws, doc)
        leases.touch(ws)
        return true
      })

    /** Waits until the workspace (or every one) is projected up to its log's head, by this node or another. */
    const catchUp = Effect.fn("Projector.catchUp")(function* (ws?: string) {
      while (true) {
        const behind = ws === undefined ? yield* store.lagging : (yield* store.laggingDocs(ws)).length > 0 ? [ws] : []
        if (behind.length === 0) return
        for (const w of behind) yield* projectWorkspace(w).pipe(Effect.catchAll((e) => Effect.logWarning(e)))
        yield* Effect.sleep(Duration.millis(100))
      }
    })

    /** Forgets the projection of one workspace (or all) and replays it from zero through the same path. */
    const rebuild = Effect.fn("Projector.rebuild")(function* (ws?: string) {
      const targets = ws === undefined ? yield* store.workspaces : [ws]
      for (const w of targets) yield* store.reset(w)
      for (const w of targets) yield* catchUp(w)
    })

    if (background) {
      const wake = yield* Queue.sliding<void>(1)
      const signalNow = (ws: string, doc: string) => {
        scheduler.signal(ws, doc, clock.unsafeCurrentTimeMillis())
        Queue.unsafeOffer(wake, undefined)
      }
      const signal = (ws: string, doc: string) => Effect.sync(() => signalNow(ws, doc))

      /**
       * Once a document has been quiet for `SNAPSHOT_QUIET_MS` (no batch since), a snapshot is
       * stored if a new device could not be served the stored one (`snapshotDue`, S27): after a
       * burst (a bulk import, a busy session) the next device gets a stored snapshot, not an
       * O(document) export on its request. Waiting for quiet keeps a burst from storing a
       * snapshot of the whole document per batch. The wait is a timer per document (restarted by
       * each batch) that only signals the document again; the check runs in a worker's turn, as
       * the batches do.
       */
      const quietTimers = yield* FiberMap.make<string>()
      const checkSnapshot = new Set<string>()
      const afterQuiet = (ws: string, doc: string) =>
        Effect.sleep(Duration.millis(SNAPSHOT_QUIET_MS)).pipe(
          Effect.zipRight(Effect.sync(() => checkSnapshot.add(docKey(ws, doc)))),
          Effect.zipRight(signal(ws, doc)),
        )
      const keepServable = (ws: string, doc: string) =>
        Effect.gen(function* () {
          const tail = yield* store.snapshotTail(ws, doc)
          if (tail === undefined || !snapshotDue(tail)) return
          const pool = yield* pools.poolFor(scheduler.isHeavy(ws, doc))
          yield* storeSnapshot(store, pool, ws, doc, (seq) => seq > (tail.snapshotSeq ?? 0))
        }).pipe(Effect.catchAll((e) => Effect.logWarning(`projection snapshot of ${ws}/${doc} failed`, e)))

      interface TurnResult {
        readonly outcome: TurnOutcome
        readonly cause?: Cause.Cause<unknown>
      }

      /** After a batch (alone or in a group): the document's wait for quiet, and the turn's outcome. */
      const afterBatch = (turn: DocTurn, r: { progressed: boolean; seconds: number; full: boolean }) =>
        Effect.gen(function* () {
          const key = turn.key
          // Each batch restarts the document's wait for quiet; a turn after it checks the snapshot.
          if (r.progressed) {
            checkSnapshot.delete(key)
            yield* FiberMap.run(quietTimers, key, afterQuiet(turn.ws, turn.doc))
          } else if (checkSnapshot.delete(key)) yield* keepServable(turn.ws, turn.doc)
          const outcome: TurnOutcome = r.progressed
            ? { _tag: "Progressed", seconds: r.seconds, full: r.full }
            : { _tag: "CaughtUp" }
          return { outcome } satisfies TurnResult
        })

      /** One turn: the lease, one batch, and what the scheduler should make of it. */
      const runTurn = (turn: DocTurn) =>
        Effect.gen(function* () {
          if (!(yield* lease(turn.ws))) return { outcome: { _tag: "NotOurs" } } satisfies TurnResult
          const exit = yield* Effect.exit(runBatch(turn.ws, turn.doc, turn.batch))
          leases.touch(turn.ws)
          if (Exit.isFailure(exit)) return { outcome: { _tag: "Failed" }, cause: exit.cause } satisfies TurnResult
          return yield* afterBatch(turn, exit.value)
        })

      /**
       * A group turn (`projectGroup`): the documents whose lease this node holds are projected
       * together; any it hands back, or all of them if the group itself fails, then run alone
       * (`runTurn`), so a document's errors, retries and backoff are what they are alone.
       */
      const runGroup = (turns: ReadonlyArray<DocTurn>) =>
        Effect.gen(function* () {
          const results = new Map<DocTurn, TurnResult>()
          const ours: Array<DocTurn> = []
          for (const t of turns)
            if (yield* lease(t.ws)) ours.push(t)
            else results.set(t, { outcome: { _tag: "NotOurs" } })
          if (ours.length === 0) return results
          const started = performance.now()
          const batchUpdates = Math.min(...ours.map((t) => t.batch))
          const exit = yield* Effect.exit(
            Effect.flatMap(pools.poolFor(false), (pool) =>
              projectGroup(store, pool, ours, { ...config, batchUpdates }),
            ),
          )
          const seconds = (performance.now() - started) / 1000
          for (const t of ours) {
            const g = Exit.isSuccess(exit) ? exit.value.get(t.key) : undefined
            if (g?._tag !== "Projected") {
              results.set(t, yield* runTurn(t))
              continue
            }
            leases.touch(t.ws)
            if (g.outcome.progressed) yield* recordBatch(t.ws, t.doc, g.outcome, seconds, false)
            results.set(t, yield* afterBatch(t, { ...g.outcome, seconds }))
          }
          return results
        })

      /** Tells the scheduler how a turn went, and logs failures and recoveries. */
      const finish = (turn: DocTurn, { outcome, cause }: TurnResult) =>
        Effect.gen(function* () {
          const retryInMs = scheduler.done(turn, outcome, yield* Clock.currentTimeMillis)
          if (outcome._tag === "Failed") {
            metrics.inc("vibestack_projection_failures_total")
            yield* Effect.logWarning(
              `projection of ${turn.ws}/${turn.doc} failed (attempt ${turn.failures + 1}); retry in ${Math.round((retryInMs ?? 0) / 1000)} s with at most ${Math.max(1, turn.batch >> 1)} update(s): ${describe(cause)}`,
            ).pipe(
              Effect.annotateLogs({
                workspace: turn.ws,
                doc: turn.doc,
                attempt: turn.failures + 1,
                retryInMs: retryInMs ?? 0,
              }),
            )
          } else if (turn.failures > 0 && outcome._tag !== "NotOurs")
            yield* Effect.logInfo(
              `projection of ${turn.ws}/${turn.doc} recovered after ${turn.failures} failed attempt(s)`,
            )
        })

      const worker = Effect.gen(function* () {
        const now = yield* Clock.currentTimeMillis
        const turns = scheduler.nextGroup(now, config.groupDocs)
        if (turns.length === 0) {
          // Nothing runnable: wait for a signal, a freed slot, the earliest backoff's end, or
          // (while turns gather) the first waiting document falling due.
          const retryAt = scheduler.nextRetryAt()
          const dueAt = scheduler.nextDueAt(now)
          let waitMs = retryAt === undefined ? config.sweepMs : Math.max(10, Math.min(config.sweepMs, retryAt - now))
          if (dueAt !== undefined) waitMs = Math.max(1, Math.min(waitMs, dueAt - now))
          yield* Queue.take(wake).pipe(Effect.timeout(Duration.millis(waitMs)), Effect.ignore)
          return
        }
        metrics.observe("vibestack_projection_group_docs", turns.length)
        const results = turns.length === 1 ? new Map([[turns[0]!, yield* runTurn(turns[0]!)]]) : yield* runGroup(turns)
        for (const [turn, result] of results) yield* finish(turn, result)
        Queue.unsafeOffer(wake, undefined)
      }).pipe(
        Effect.catchAllCause((c) => Effect.logError("projection worker failed", c)),
        Effect.forever,
      )
      for (let i = 0; i < config.concurrency; i++) yield* Effect.forkScoped(worker)

      const offUpdates = bus.onUpdates((u) => signalNow(u.ws, u.doc))
      yield* Effect.addFinalizer(() => Effect.sync(offUpdates))

      let probe: ProjectionProbe = { lag: 0, lagSeconds: 0, failingDocs: 0, at: yield* Clock.currentTimeMillis }
      let top: ReadonlyArray<{ workspaceId: string; lag: number; seconds: number }> = []
      metrics.gauge("vibestack_projection_lag_seconds", () => probe.lagSeconds)
      metrics.gauge("vibestack_projection_workspace_lag", () => top.map((w) => [{ workspace: w.workspaceId }, w.lag]))
      metrics.gauge("vibestack_projection_workspace_lag_seconds", () =>
        top.map((w) => [{ workspace: w.workspaceId }, w.seconds]),
      )
      yield* Ref.update(probes, (p) => ({ ...p, projection: () => ({ ...probe, failingDocs: scheduler.failing() }) }))

      const sweep = Effect.gen(function* () {
        for (const { workspaceId, docId } of yield* store.laggingPairs) yield* signal(workspaceId, docId)
        const idleBefore = (yield* Clock.currentTimeMillis) - config.leaseIdleMs
        for (const [ws, used] of [...leases.heldLeases()])
          if (used < idleBefore && !scheduler.active(ws)) yield* leases.release(ws)
        const byWorkspace = yield* store.lagByWorkspace
        lag = byWorkspace.reduce((n, w) => n + Number(w.lag), 0)
        top = byWorkspace.slice(0, config.lagTopN).map((w) => ({ ...w, lag: Number(w.lag) }))
        probe = {
          lag,
          lagSeconds: byWorkspace.reduce((m, w) => Math.max(m, w.seconds), 0),
          failingDocs: scheduler.failing(),
          at: yield* Clock.currentTimeMillis,
        }
      }).pipe(Effect.catchAllCause((c) => Effect.logWarning("projection sweep failed", c)))
      yield* sweep.pipe(Effect.repeat(Schedule.spaced(Duration.millis(config.sweepMs))), Effect.forkScoped)
    }

    return {
      projectDoc,
      projectWorkspace,
      catchUp,
      rebuild,
      status: store.status,
      totalLag: store.totalLag,
      /** Workspaces whose lease this node holds. */
      leases: Effect.sync(() => [...leases.heldLeases().keys()].sort()),
    } as const
  })

const describe = (cause: Cause.Cause<unknown> | undefined) =>
  cause === undefined ? "unknown" : Cause.pretty(cause).split("\n").slice(0, 2).join(" | ").slice(0, 500)

/**
 * The projection job (README.md): follows every document's log, keeps the relational tables
 * equal to the documents, exactly once per update, shared between nodes by leases, fair
 * between documents (`Scheduler.ts`).
 */
export class Projector extends Effect.Service<Projector>()("Projector", {
  scoped: Effect.flatMap(ProjectionConfig, (c) => make(c.enabled)),
}) {
  /** The service without the background job: for the CLI, which drives `rebuild`/`catchUp` itself. */
  static readonly Manual = Layer.scoped(
    Projector,
    Effect.map(make(false), (s) => new Projector(s)),
  )
}
