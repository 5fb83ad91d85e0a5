import { Effect, FiberSet } from "effect"
import { Metrics } from "../metrics/Metrics.js"
import type { LoroPoolOptions, PoolStats, RecycleDetail } from "../pool/LoroPool.js"

export type PoolName = "push" | "projection"

export interface RecycleEvent {
  readonly at: number
  readonly pool: PoolName
  readonly cause: RecycleDetail["cause"]
  readonly reason: string
  readonly docs: ReadonlyArray<string>
}

/** Recycles older than this are forgotten (the readiness window is at most this long). */
const KEEP_MS = 60 * 60_000
const KEEP_EVENTS = 1000

/**
 * What the Loro pools report about themselves, in one place: every call's latency and
 * timeouts go to metrics, every recycle to metrics, one log line (pool, cause, documents) and
 * the recent-recycles list that readiness reads ("recycling repeatedly").
 */
export class PoolEvents extends Effect.Service<PoolEvents>()("PoolEvents", {
  scoped: Effect.gen(function* () {
    const metrics = yield* Metrics
    const runFork = yield* FiberSet.makeRuntime<never>()
    // Effect's Clock, read synchronously: the pools report from plain callbacks.
    const clock = yield* Effect.clock
    const events: Array<RecycleEvent> = []
    const pools = new Map<PoolName, () => PoolStats>()
    metrics.gauge("vibestack_pool_busy_workers", () =>
      [...pools].map(([pool, stats]) => [{ pool }, stats().busyWorkers] as const),
    )

    /** Shows a pool's live figures (busy workers) in /metrics. */
    const watch = (pool: PoolName, stats: () => PoolStats) => Effect.sync(() => pools.set(pool, stats))

    /** Recycles within the last `windowMs`, oldest first. */
    const recent = (windowMs: number, now = clock.unsafeCurrentTimeMillis()): ReadonlyArray<RecycleEvent> =>
      events.filter((e) => now - e.at <= windowMs)

    /** The `onCall`/`onRecycle` hooks of one pool. */
    const hooks = (pool: PoolName): Pick<LoroPoolOptions, "onCall" | "onRecycle"> => ({
      onCall: (op, seconds, outcome) => {
        metrics.observe("vibestack_pool_call_seconds", seconds, { pool, op })
        if (outcome === "timeout") metrics.inc("vibestack_pool_timeouts_total", { pool, op })
        if (op === "Load" && outcome === "ok") metrics.inc("vibestack_pool_docs_loaded_total", { pool })
      },
      onRecycle: (reason, detail) => {
        const now = clock.unsafeCurrentTimeMillis()
        events.push({ at: now, pool, cause: detail.cause, reason, docs: detail.docs })
        while (events.length > KEEP_EVENTS || (events.length > 0 && now - events[0]!.at > KEEP_MS)) events.shift()
        metrics.inc("vibestack_pool_recycles_total", { pool, cause: detail.cause })
        runFork(
          Effect.logWarning(`Loro pool worker recycled: ${reason}`).pipe(
            Effect.annotateLogs({ pool, cause: detail.cause, docs: detail.docs.slice(0, 20).join(",") }),
          ),
        )
      },
    })
    return { hooks, recent, watch } as const
  }),
}) {}
