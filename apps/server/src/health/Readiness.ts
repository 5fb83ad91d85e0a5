import { SqlClient } from "@effect/sql"
import { Cause, Clock, Duration, Effect, Ref, Schedule } from "effect"
import { Bus } from "../bus/Bus.js"
import { HealthProbes } from "../http/HealthProbes.js"
import { Metrics } from "../metrics/Metrics.js"
import { ServerConfigTag } from "../ServerConfigTag.js"
import { type Check, type CheckStatus, judge, statusRank, worst } from "./judge.js"
import { PoolEvents } from "./PoolEvents.js"

export interface ReadinessReport {
  readonly status: CheckStatus
  readonly checks: ReadonlyArray<Check>
}

/** How often the push queue is sampled for its high-water mark. */
const QUEUE_SAMPLE_MS = 250
/** How often readiness is judged in the background (metrics, log lines on changes). */
const JUDGE_EVERY_MS = 2_000

/**
 * Judges this node's readiness (`judge.ts`) from what the features report: a database
 * ping, the LISTEN connection, the projection's and the feed's figures, the push queue's
 * high-water mark and the pool's recent recycles. Judged on every /readyz and /healthz and
 * every 2 s in the background, which keeps `vibestack_health_status` current and logs one
 * line whenever a check changes state (with its reason).
 */
export class Readiness extends Effect.Service<Readiness>()("Readiness", {
  scoped: Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const bus = yield* Bus
    const probes = yield* HealthProbes
    const events = yield* PoolEvents
    const metrics = yield* Metrics
    const { health: cfg } = yield* ServerConfigTag

    let queueSamples: Array<readonly [number, number]> = []
    let seenReconnects = 0
    let last: ReadinessReport = { status: "ok", checks: [] }

    const sampleQueue = Effect.gen(function* () {
      const p = yield* Ref.get(probes)
      if (p.pushQueue === undefined) return
      const now = yield* Clock.currentTimeMillis
      queueSamples.push([now, p.pushQueue()])
      queueSamples = queueSamples.filter(([t]) => now - t <= cfg.saturationWindowSeconds * 1000)
    })
    yield* sampleQueue.pipe(Effect.repeat(Schedule.spaced(Duration.millis(QUEUE_SAMPLE_MS))), Effect.forkScoped)

    // One judgement at a time: concurrent /readyz calls must not log the same change twice.
    const lock = yield* Effect.makeSemaphore(1)
    const judgeNow: Effect.Effect<ReadinessReport> = Effect.gen(function* () {
      const database = yield* sql`select 1`.pipe(
        Effect.timeout("1 second"),
        Effect.as({ ok: true } as const),
        Effect.catchAllCause((cause) => Effect.succeed({ ok: false, error: describeCause(cause) } as const)),
      )
      const p = yield* Ref.get(probes)
      const now = yield* Clock.currentTimeMillis
      const listen = bus.listenState()
      if (listen.reconnects > seenReconnects) {
        metrics.inc("vibestack_bus_reconnects_total", undefined, listen.reconnects - seenReconnects)
        seenReconnects = listen.reconnects
      }
      const checks = judge(
        {
          database,
          listen,
          projection: p.projection?.(),
          feed: p.feed?.(),
          pushQueueHigh:
            p.pushQueue === undefined ? undefined : Math.max(p.pushQueue(), ...queueSamples.map(([, n]) => n)),
          recycles: events.recent(cfg.recycleWindowSeconds * 1000, now),
        },
        cfg,
        now,
      )
      yield* logChanges(last.checks, checks)
      last = { status: worst(checks), checks }
      return last
    })
    const check = lock.withPermits(1)(judgeNow)

    metrics.gauge("vibestack_health_status", () =>
      last.checks.map((c) => [{ check: c.name }, statusRank(c.status)] as const),
    )
    metrics.gauge("vibestack_bus_listening", () => (bus.listenState().up ? 1 : 0))
    yield* check.pipe(Effect.repeat(Schedule.spaced(Duration.millis(JUDGE_EVERY_MS))), Effect.forkScoped)

    return { check, last: () => last } as const
  }),
}) {}

/** One line per check whose state changed, with the reason: the log tells the story of an incident. */
const logChanges = (before: ReadonlyArray<Check>, after: ReadonlyArray<Check>) =>
  Effect.forEach(
    after,
    (c) => {
      const was = before.find((b) => b.name === c.name)
      if (was === undefined ? c.status === "ok" : was.status === c.status) return Effect.void
      const line = `readiness: ${c.name} ${was?.status ?? "ok"} -> ${c.status}: ${c.reason}`
      const annotated = (e: Effect.Effect<void>) => e.pipe(Effect.annotateLogs({ check: c.name, status: c.status }))
      return annotated(c.status === "ok" ? Effect.logInfo(line) : Effect.logWarning(line))
    },
    { discard: true },
  )

/** What went wrong, in a line: the error and what caused it (ECONNREFUSED, a timeout), no stacks or SQL. */
const describeCause = (cause: Cause.Cause<unknown>): string => {
  const e = Cause.squash(cause) as { _tag?: string; message?: string; cause?: { message?: string; code?: string } }
  const what = e?._tag === "TimeoutException" ? "no answer within 1 s" : (e?.message ?? String(e))
  const why = e?.cause?.code ?? e?.cause?.message
  return (why !== undefined && !what.includes(why) ? `${what}: ${why}` : what).split("\n")[0]!.slice(0, 300)
}
