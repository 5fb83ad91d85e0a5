import { SqlClient, type SqlError } from "@effect/sql"
import { PgClient } from "@effect/sql-pg"
import { Context, Effect, Layer, Option, PubSub, Queue, Redacted, Ref, Runtime, Schedule, Scope } from "effect"
import { Bus } from "../bus/Bus.js"
import { HealthProbes } from "../http/HealthProbes.js"
import { Metrics } from "../metrics/Metrics.js"
import { ServerConfigTag } from "../ServerConfigTag.js"
import { type FeedOptions, FeedOptionsConfig } from "./FeedOptions.js"
import { trimChangeLog } from "./retention.js"
import { FENCE_PREFIX, WalConsumer } from "./WalConsumer.js"

export interface SlotHealth {
  readonly lagBytes: number | null
  readonly retainedBytes: number | null
  readonly safeWalBytes: number | null
  readonly walStatus: string | null
}

interface Waiter {
  readonly key: string
  readonly resolve: () => void
}

export interface FeedApi {
  readonly options: FeedOptions
  /** Starts the WAL consumer (servers only; CLI commands never hold the slot). */
  readonly startConsumer: Effect.Effect<void>
  readonly consumer: () => WalConsumer | undefined
  /** Highest `stored_lsn` this node has heard of. */
  readonly storedLsn: () => number
  /** Waits until every commit below `lsn` is in change_log; false on timeout. */
  readonly awaitStored: (lsn: number) => Effect.Effect<boolean, SqlError.SqlError>
  /** Waits for a change to (table, workspace) stored after `seenStored`, or the timeout. */
  readonly awaitChange: (table: string, ws: string, seenStored: number, timeoutMs: number) => Effect.Effect<void>
  readonly slotHealth: () => SlotHealth
  readonly trim: (policy?: { maxAgeMs?: number; maxRows?: number }) => Effect.Effect<number>
}

export class Feed extends Context.Tag("Feed")<Feed, FeedApi>() {
  static readonly layer = (overrides: Partial<FeedOptions> = {}) => Layer.scoped(Feed, make(overrides))
}

const make = (overrides: Partial<FeedOptions>) =>
  Effect.gen(function* () {
    const options: FeedOptions = { ...(yield* FeedOptionsConfig), ...overrides }
    const sql = yield* SqlClient.SqlClient
    const pgClient = yield* PgClient.PgClient
    const metrics = yield* Metrics
    const bus = yield* Bus
    const probes = yield* HealthProbes
    const server = yield* ServerConfigTag
    const url = Redacted.value(Option.getOrThrow(Option.fromNullable(pgClient.config.url)))

    let stored = 0
    let consumer: WalConsumer | undefined
    let health: SlotHealth = { lagBytes: null, retainedBytes: null, safeWalBytes: null, walStatus: null }
    const waiters = new Set<Waiter>()

    // `stored_lsn|tbl:ws,tbl:ws` or `stored_lsn|*`: wakes long-polls of the touched shapes only.
    const onNotify = (payload: string) => {
      const [lsnText, touched = "*"] = payload.split("|")
      stored = Math.max(stored, Number(lsnText) || 0)
      const keys = touched === "*" ? undefined : new Set(touched.split(","))
      for (const w of waiters) if (!keys || keys.has(w.key)) w.resolve()
    }
    const readStored = Effect.map(
      sql<{ storedLsn: number }>`select stored_lsn from feed_state where id = 1`,
      (rows) => rows[0]?.storedLsn ?? 0,
    )
    // Through the Bus's own LISTEN connection, which survives a Postgres restart.
    const notified = yield* PubSub.subscribe(bus.feed)
    yield* Queue.take(notified).pipe(
      Effect.tap((p) => Effect.sync(() => onNotify(p))),
      Effect.forever,
      Effect.forkScoped,
    )
    // Notifications missed while that connection was down: catch up and wake every long-poll.
    const missed = yield* PubSub.subscribe(bus.resync)
    yield* Queue.take(missed).pipe(
      Effect.zipRight(readStored),
      Effect.tap((lsn) => Effect.sync(() => onNotify(`${lsn}|*`))),
      Effect.catchAllCause((cause) => Effect.logWarning("change feed resync failed", cause)),
      Effect.forever,
      Effect.forkScoped,
    )
    stored = yield* readStored

    const wait = (key: string, ready: () => boolean, timeoutMs: number) =>
      Effect.async<void>((resume) => {
        if (ready()) return resume(Effect.void)
        const w: Waiter = { key, resolve: () => done() }
        const timer = setTimeout(() => done(), timeoutMs)
        const done = () => {
          clearTimeout(timer)
          waiters.delete(w)
          resume(Effect.void)
        }
        waiters.add(w)
        return Effect.sync(() => {
          clearTimeout(timer)
          waiters.delete(w)
        })
      })

    const awaitStored = (lsn: number) =>
      Effect.gen(function* () {
        if (stored >= lsn) return true
        // A fence puts a WAL position past `lsn` in front of the consumer even when no
        // published table changes; storing it proves every earlier commit is stored.
        yield* sql`select pg_logical_emit_message(false, ${FENCE_PREFIX}, '')`
        const deadline = Date.now() + options.fenceTimeoutMs
        while (stored < lsn && Date.now() < deadline)
          yield* wait("*fence*", () => stored >= lsn, Math.max(1, Math.min(250, deadline - Date.now())))
        return stored >= lsn
      })

    const awaitChange = (table: string, ws: string, seenStored: number, timeoutMs: number) =>
      wait(`${table}:${ws}`, () => stored > seenStored, timeoutMs)

    const pollHealth = Effect.gen(function* () {
      const rows = yield* sql<{
        lag: number | null
        retained: number | null
        safe: number | null
        walStatus: string | null
      }>`select pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn)::int8 as lag,
                pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn)::int8 as retained,
                safe_wal_size::int8 as safe, wal_status
         from pg_replication_slots where slot_name = ${options.slotName}`
      const r = rows[0]
      const next: SlotHealth = {
        lagBytes: r?.lag ?? null,
        retainedBytes: r?.retained ?? null,
        safeWalBytes: r?.safe ?? null,
        walStatus: r?.walStatus ?? null,
      }
      // Alert before loss: Postgres will invalidate an 'unreserved' slot at the next checkpoint.
      if (next.walStatus === "unreserved" && health.walStatus !== "unreserved")
        yield* Effect.logWarning(`change feed slot ${options.slotName} is about to lose WAL (wal_status=unreserved)`)
      if (next.walStatus === "lost" && health.walStatus !== "lost")
        yield* Effect.logError(`change feed slot ${options.slotName} lost its WAL; it will be recreated`)
      health = next
    }).pipe(Effect.catchAll(() => Effect.void))

    const trim = (policy?: { maxAgeMs?: number; maxRows?: number }) =>
      trimChangeLog(sql, {
        maxAgeMs: policy?.maxAgeMs ?? options.retentionMs,
        maxRows: policy?.maxRows ?? options.retentionMaxRows,
      }).pipe(Effect.orDie)

    const startConsumer = Effect.gen(function* () {
      if (consumer || !options.enabled) return
      // The layer's runtime, not the default one: log lines go through the server's logger.
      const runFork = Runtime.runFork(yield* Effect.runtime<never>())
      const c = new WalConsumer({
        connectionString: url,
        slotName: options.slotName,
        publication: options.publication,
        nodeId: server.nodeId,
        log: (level, message) =>
          void runFork(
            level === "info"
              ? Effect.logInfo(message)
              : level === "warn"
                ? Effect.logWarning(message)
                : Effect.logError(message),
          ),
      })
      consumer = c
      c.start()
      yield* Effect.addFinalizer(() => Effect.promise(() => c.stop()))
      yield* pollHealth.pipe(Effect.repeat(Schedule.spaced(options.healthIntervalMs)), Effect.forkScoped)
      yield* Effect.sleep(options.retentionIntervalMs).pipe(
        Effect.zipRight(Effect.when(trim(), () => c.status === "streaming")),
        Effect.forever,
        Effect.forkScoped,
      )
    })
    const scope = yield* Effect.scope
    yield* Ref.update(probes, (p) => ({ ...p, replicationLagBytes: Effect.sync(() => health.lagBytes) }))
    metrics.gauge(
      "vibestack_feed_slot_lag_bytes",
      () => health.lagBytes ?? -1,
      "WAL bytes the feed slot has not confirmed",
    )
    metrics.gauge("vibestack_feed_wal_retained_bytes", () => health.retainedBytes ?? -1, "WAL bytes the slot retains")
    metrics.gauge("vibestack_feed_safe_wal_bytes", () => health.safeWalBytes ?? -1, "bytes before the slot is lost")
    metrics.gauge("vibestack_feed_epoch", () => consumer?.epoch ?? 0, "generation of the feed slot")
    metrics.gauge("vibestack_feed_stored_lsn", () => stored, "every commit below this LSN is in change_log")

    return {
      options,
      startConsumer: Scope.extend(startConsumer, scope),
      consumer: () => consumer,
      storedLsn: () => stored,
      awaitStored,
      awaitChange,
      slotHealth: () => health,
      trim,
    } satisfies FeedApi
  })
