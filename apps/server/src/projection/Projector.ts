import { PgClient } from "@effect/sql-pg"
import { Duration, Effect, Layer, Option, Queue, Redacted, Ref, Runtime, Schedule, Stream } from "effect"
import { Bus } from "../bus/Bus.js"
import { HealthProbes } from "../http/HealthProbes.js"
import { Metrics } from "../metrics/Metrics.js"
import { LoroPool } from "../pool/LoroPool.js"
import { Leases } from "./Leases.js"
import { ProjectionConfig } from "./ProjectionConfig.js"
import { makeProjectionStore } from "./ProjectionStore.js"
import { projectBatch } from "./projectDoc.js"

const make = (background: boolean) =>
  Effect.gen(function* () {
    const config = yield* ProjectionConfig
    const pgClient = yield* PgClient.PgClient
    const metrics = yield* Metrics
    const probes = yield* HealthProbes
    const bus = yield* Bus
    const store = yield* makeProjectionStore
    const runPromise = Runtime.runPromise(yield* Effect.runtime<never>())
    const url = Option.getOrThrow(Option.fromNullable(pgClient.config.url))

    // The projection's own pool: its copies sit at `projected_seq`, not at the log's head like
    // the push path's, and its bulk imports never queue behind push validation.
    const pool = yield* Effect.acquireRelease(
      Effect.sync(
        () =>
          new LoroPool({
            workers: config.poolWorkers,
            maxDocsPerWorker: config.poolDocsPerWorker,
            callTimeoutMs: 300_000,
            source: { load: (ws, doc) => runPromise(store.loadAtProjected(ws, doc)) },
          }),
      ),
      (p) => Effect.promise(() => p.close()),
    )
    const leases = yield* Effect.acquireRelease(
      Effect.sync(() => new Leases(Redacted.value(url))),
      (l) => l.close(),
    )

    let lag = 0
    metrics.gauge("vibestack_projection_lag", () => lag, "committed updates not yet projected (all documents)")
    metrics.gauge("vibestack_projection_leases", () => leases.heldLeases().size, "workspaces this node projects")
    yield* Ref.update(probes, (p) => ({
      ...p,
      projectionLag: store.totalLag.pipe(
        Effect.tap((n) => Effect.sync(() => (lag = n))),
        Effect.orElseSucceed(() => null),
      ),
    }))

    /** Projects one document until it is caught up; returns the updates projected. */
    const projectDoc = Effect.fn("Projector.projectDoc")(function* (ws: string, doc: string) {
      let total = 0
      let conflicts = 0
      while (true) {
        const started = performance.now()
        const r = yield* projectBatch(store, pool, ws, doc, config).pipe(
          Effect.catchTag("ProjectionConflict", (e) => (++conflicts > 5 ? Effect.fail(e) : Effect.succeed(undefined))),
        )
        if (r === undefined) continue
        if (!r.progressed) return total
        total += r.updates
        metrics.inc("vibestack_projection_updates_total", undefined, r.updates)
        metrics.inc("vibestack_projection_entity_changes_total", undefined, r.entityChanges)
        metrics.observe("vibestack_projection_batch_seconds", (performance.now() - started) / 1000)
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
      }
    })

    /** Projects every lagging document of a workspace this node holds the lease of. */
    const projectWorkspace = (ws: string) =>
      Effect.gen(function* () {
        if (!leases.has(ws)) {
          if (leases.heldLeases().size >= config.maxLeases) return false
          if (!(yield* leases.tryAcquire(ws))) return false
        }
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
      const queue = yield* Queue.unbounded<string>()
      const queued = new Set<string>()
      const running = new Set<string>()
      const again = new Set<string>()
      const signal = (ws: string) =>
        Effect.suspend(() => {
          if (running.has(ws)) again.add(ws)
          else if (!queued.has(ws)) {
            queued.add(ws)
            return Queue.offer(queue, ws)
          }
          return Effect.void
        })
      const worker = Effect.gen(function* () {
        const ws = yield* Queue.take(queue)
        queued.delete(ws)
        running.add(ws)
        yield* projectWorkspace(ws).pipe(
          Effect.catchAllCause((c) => Effect.logWarning(`projection of ${ws} failed; retried on the next sweep`, c)),
          Effect.ensuring(Effect.sync(() => running.delete(ws))),
        )
        if (again.delete(ws)) yield* signal(ws)
      }).pipe(Effect.forever)
      for (let i = 0; i < config.concurrency; i++) yield* Effect.forkScoped(worker)

      yield* Stream.fromPubSub(bus.updates).pipe(
        Stream.runForEach((u) => signal(u.ws)),
        Effect.forkScoped,
      )
      const sweep = Effect.gen(function* () {
        for (const ws of yield* store.lagging) yield* signal(ws)
        const idleBefore = Date.now() - config.leaseIdleMs
        for (const [ws, used] of [...leases.heldLeases()])
          if (used < idleBefore && !running.has(ws) && !queued.has(ws)) yield* leases.release(ws)
        lag = yield* store.totalLag
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

/**
 * The projection job (README.md): follows every document's log, keeps the relational tables
 * equal to the documents, exactly once per update, shared between nodes by leases.
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
