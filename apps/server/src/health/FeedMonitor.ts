import { SqlClient } from "@effect/sql"
import { Clock, Duration, Effect, Layer, Ref, Schedule } from "effect"
import { Feed } from "../feed/Feed.js"
import { type FeedProbe, HealthProbes } from "../http/HealthProbes.js"
import { Metrics } from "../metrics/Metrics.js"

const POLL_MS = 2_000
/** A slot without a reader for this long means nobody consumes the feed (restarts are shorter). */
const DOWN_AFTER_MS = 15_000
/** WAL positions remembered to turn a byte lag into seconds (one per poll: about an hour). */
const KEEP_SAMPLES = 1800

/**
 * Watches the change feed's slot from the outside (pg_replication_slots), for readiness and
 * metrics: is anyone reading it (`active`), how far behind is what it confirmed (bytes, and
 * seconds: how long ago the WAL was at the confirmed position, from positions sampled every
 * poll), how much WAL it retains. Registers the `feed` probe; the node runs it where the
 * consumer may run (servers).
 */
export const FeedMonitorLive = Layer.scopedDiscard(
  Effect.gen(function* () {
    const feed = yield* Feed
    const sql = yield* SqlClient.SqlClient
    const probes = yield* HealthProbes
    const metrics = yield* Metrics
    if (!feed.options.enabled) return

    const samples: Array<readonly [number, number]> = []
    let probe: FeedProbe = {
      status: "starting",
      lagBytes: null,
      lagSeconds: null,
      retainedBytes: null,
      walStatus: null,
    }
    let readerSeen = yield* Clock.currentTimeMillis

    const poll = Effect.gen(function* () {
      const rows = yield* sql<{
        current: string
        confirmed: string | null
        retained: number | null
        active: boolean | null
        walStatus: string | null
      }>`select (pg_current_wal_lsn() - '0/0')::text as current,
                (s.confirmed_flush_lsn - '0/0')::text as confirmed,
                pg_wal_lsn_diff(pg_current_wal_lsn(), s.restart_lsn)::int8 as retained,
                s.active, s.wal_status
         from (select 1) one
         left join pg_replication_slots s on s.slot_name = ${feed.options.slotName}`
      const r = rows[0]
      const now = yield* Clock.currentTimeMillis
      const current = Number(r?.current ?? 0)
      samples.push([now, current])
      if (samples.length > KEEP_SAMPLES) samples.shift()
      const confirmed = r?.confirmed === null || r?.confirmed === undefined ? undefined : Number(r.confirmed)
      if (r?.active === true) readerSeen = now
      const local = feed.consumer()?.status ?? "starting"
      const status =
        local === "stalled" || local === "stopped" ? local : now - readerSeen > DOWN_AFTER_MS ? "down" : local
      probe = {
        status,
        lagBytes: confirmed === undefined ? null : Math.max(0, current - confirmed),
        lagSeconds: confirmed === undefined ? null : lagSeconds(samples, confirmed, now),
        retainedBytes: r?.retained ?? null,
        walStatus: r?.walStatus ?? null,
      }
    }).pipe(Effect.catchAll(() => Effect.void))

    yield* Ref.update(probes, (p) => ({ ...p, feed: () => probe }))
    metrics.gauge("vibestack_feed_up", () => (probe.status === "streaming" || probe.status === "standby" ? 1 : 0))
    metrics.gauge("vibestack_feed_lag_seconds", () => probe.lagSeconds ?? 0)
    yield* poll.pipe(Effect.repeat(Schedule.spaced(Duration.millis(POLL_MS))), Effect.forkScoped)
  }),
)

/**
 * Seconds since the WAL was at `confirmed`: 0 if the slot confirmed the newest position seen,
 * else the time since the last sample at or below `confirmed` (or since the oldest sample).
 */
export const lagSeconds = (
  samples: ReadonlyArray<readonly [number, number]>,
  confirmed: number,
  now: number,
): number => {
  const newest = samples[samples.length - 1]
  if (newest === undefined || confirmed >= newest[1]) return 0
  let since = samples[0]![0]
  for (const [t, lsn] of samples) if (lsn <= confirmed) since = t
  return (now - since) / 1000
}
