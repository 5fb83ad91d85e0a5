import { SqlClient, type SqlError } from "@effect/sql"
import { PgClient } from "@effect/sql-pg"
import { Clock, Context, Effect, FiberSet, Layer, Option, PubSub, Queue, Redacted, Ref, Schedule, Scope } from "effect"
import { Bus } from "../bus/Bus.js"
import { HealthProbes } from "../http/HealthProbes.js"
import { bestEffort, CLOSE_WITHIN } from "../logging/bestEffort.js"
import { Metrics } from "../metrics/Metrics.js"
import { ServerConfigTag } from "../ServerConfigTag.js"
import { ChangeTail } from "./ChangeTail.js"
import { expandGroup } from "./changeGroups.js"
import { type FeedOptions, FeedOptionsConfig } from "./FeedOptions.js"
import { trimChangeLog } from "./retention.js"
import { FENCE_PREFIX, WalConsumer } from "./WalConsumer.js"

export interface SlotHealth {
  readonly lagBytes: number | null
  readonly retainedBytes: number | null
  readonly safeWalBytes: number | null
  readonly walStatus: string | null
}

/** What a shape request checks its handle and offset against (see ShapeService). */
export interface FeedState {
  readonly epoch: number
  readonly epochLsn: number
  readonly lowWater: number
}

export interface FeedApi {
  readonly options: FeedOptions
  /** Starts the WAL consumer (servers only; CLI commands never hold the slot). */
  readonly startConsumer: Effect.Effect<void>
  readonly consumer: () => WalConsumer | undefined
  /** Highest `stored_lsn` this node has heard of. */
  readonly storedLsn: () => number
  /** Waits until every commit below `lsn` is in change_log; false on timeout (`fenceTimeoutMs` unless given). */
  readonly awaitStored: (lsn: number, timeoutMs?: number) => Effect.Effect<boolean, SqlError.SqlError>
  /** The recent change log in memory: what long-polls are answered from. */
  readonly tail: ChangeTail
  readonly state: () => FeedState
  /** Re-reads feed_state (a handle names an epoch this node has not heard of yet). */
  readonly refreshState: Effect.Effect<FeedState>
  /**
   * Waits until the feed has an epoch (its slot exists), re-reading feed_state while it has
   * none; false after `timeoutMs` (`fenceTimeoutMs` unless given). A server just started
   * answers its first shape requests once its consumer has created the slot, not 503.
   */
  readonly awaitStarted: (timeoutMs?: number) => Effect.Effect<boolean>
  readonly slotHealth: () => SlotHealth
  readonly trim: (policy?: { maxAgeMs?: number; maxRows?: number }) => Effect.Effect<number>
}

export class Feed extends Context.Tag("Feed")<Feed, FeedApi>() {
  static readonly layer = (overrides: Partial<FeedOptions> = {}) => Layer.scoped(Feed, make(overrides))
}

interface SyncRow {
  readonly epoch: number
  readonly epochLsn: number
  readonly lowWaterLsn: number
  readonly storedLsn: number
  readonly lsn: number | null
  readonly tbl: string
  readonly workspaceId: string
  /** Null for a group past SYNC_ROWS changes: the tail is reset instead. */
  readonly changes: string | null
}

/** Changes one notification may bring into the tail; past that, older offsets read change_log. */
const SYNC_ROWS = 20_000
/** How often a request waiting for the feed's first epoch re-reads feed_state. */
const STARTED_POLL_MS = 50

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
    // Syncs and the consumer's log lines run in the layer's FiberSet: the server's logger sees
    // them, and shutdown interrupts a sync still under way.
    const runFork = yield* FiberSet.makeRuntime<never>()

    let stored = 0
    let state: FeedState = { epoch: 0, epochLsn: 0, lowWater: 0 }
    let consumer: WalConsumer | undefined
    let health: SlotHealth = { lagBytes: null, retainedBytes: null, safeWalBytes: null, walStatus: null }
    const tail = new ChangeTail(options.tailBytes)
    const storedWaiters = new Set<() => void>()

    /**
     * Brings feed_state and, past the tail's head, change_log into memory: one query per
     * notification burst on this node (never one per waiting request).
     */
    const syncOnce = Effect.gen(function* () {
      const rows = yield* sql<SyncRow>`
        select s.epoch, s.epoch_lsn, s.low_water_lsn, s.stored_lsn,
               c.lsn, c.tbl, c.workspace_id, case when c.before < ${SYNC_ROWS} then c.changes end as changes
        from feed_state s left join lateral (
          select lsn, pos, tbl, workspace_id, changes, sum(n) over (order by lsn, pos rows unbounded preceding) - n as before
          from (
            select lsn, pos, tbl, workspace_id, n, changes from change_groups
            where lsn >= ${tail.head} and lsn < s.stored_lsn order by lsn, pos limit ${SYNC_ROWS}
          ) g
        ) c on true
        where s.id = 1
        order by c.lsn, c.pos`
      const s = rows[0]
      // A reply older than a slot change this node already saw (on the consumer's hook).
      if (!s || s.epoch < tail.epoch) return
      stored = Math.max(stored, s.storedLsn)
      state = { epoch: s.epoch, epochLsn: s.epochLsn, lowWater: Math.max(state.lowWater, s.lowWaterLsn) }
      const whole = s.lsn === null || (rows.length < SYNC_ROWS && rows.every((r) => r.changes !== null))
      if (s.epoch !== tail.epoch || !whole) tail.reset(s.epoch, s.storedLsn)
      else if (s.lsn !== null) {
        let i = 0
        while (i < rows.length) {
          const lsn = rows[i]!.lsn!
          const tx = []
          for (; i < rows.length && rows[i]!.lsn === lsn; i++) {
            const r = rows[i]!
            for (const c of expandGroup(lsn, r.changes!)) tx.push({ ...c, tbl: r.tbl, ws: r.workspaceId })
          }
          tail.append(
            lsn,
            lsn,
            tx.sort((a, b) => a.pos - b.pos),
          )
        }
      }
      tail.advance(s.storedLsn)
    })
    let syncing = false
    let again = false
    const sync = () => {
      if (syncing) {
        again = true
        return
      }
      syncing = true
      runFork(
        Effect.gen(function* () {
          do {
            again = false
            yield* syncOnce
          } while (again)
        }).pipe(
          Effect.catchAllCause((cause) => Effect.logWarning("change feed sync failed", cause)),
          Effect.ensuring(Effect.sync(() => (syncing = false))),
        ),
      )
    }

    // `stored_lsn|tbl:ws,…`, or a bare LSN / `…|*` for slot, truncate and retention events.
    const onNotify = (payload: string) => {
      const [lsnText, touched = "*"] = payload.split("|")
      const lsn = Number(lsnText) || 0
      stored = Math.max(stored, lsn)
      for (const wake of storedWaiters) wake()
      if (touched === "*" || lsn > tail.head) sync()
    }
    // Through the Bus's own LISTEN connection, which survives a Postgres restart.
    const notified = yield* PubSub.subscribe(bus.feed)
    yield* Queue.take(notified).pipe(
      Effect.tap((p) => Effect.sync(() => onNotify(p))),
      Effect.forever,
      Effect.forkScoped,
    )
    // Notifications missed while that connection was down: catch up.
    const missed = yield* PubSub.subscribe(bus.resync)
    yield* Queue.take(missed).pipe(
      Effect.tap(() => Effect.sync(() => onNotify("0|*"))),
      Effect.forever,
      Effect.forkScoped,
    )
    const [first] = yield* sql<{ epoch: number; epochLsn: number; lowWaterLsn: number; storedLsn: number }>`
      select epoch, epoch_lsn, low_water_lsn, stored_lsn from feed_state where id = 1`
    stored = first?.storedLsn ?? 0
    state = { epoch: first?.epoch ?? 0, epochLsn: first?.epochLsn ?? 0, lowWater: first?.lowWaterLsn ?? 0 }
    tail.reset(state.epoch, stored)

    const waitStored = (ready: () => boolean, timeoutMs: number) =>
      Effect.async<void>((resume) => {
        if (ready()) return resume(Effect.void)
        const done = () => {
          clearTimeout(timer)
          storedWaiters.delete(done)
          resume(Effect.void)
        }
        const timer = setTimeout(done, timeoutMs)
        storedWaiters.add(done)
        return Effect.sync(() => {
          clearTimeout(timer)
          storedWaiters.delete(done)
        })
      })

    const awaitStored = (lsn: number, timeoutMs = options.fenceTimeoutMs) =>
      Effect.gen(function* () {
        if (stored >= lsn) return true
        // A fence puts a WAL position past `lsn` in front of the consumer even when no
        // published table changes; storing it proves every earlier commit is stored. The
        // walsender only sends flushed WAL, and a non-transactional message alone waits for
        // the WAL writer (up to wal_writer_delay, 200 ms): taking a transaction id makes the
        // statement's commit flush, the message with it. (The empty transaction is not
        // decoded: pgoutput skips transactions without changes.)
        yield* sql`select pg_logical_emit_message(false, ${FENCE_PREFIX}, ''), pg_current_xact_id()`
        let now = yield* Clock.currentTimeMillis
        const deadline = now + timeoutMs
        while (stored < lsn && now < deadline) {
          yield* waitStored(() => stored >= lsn, Math.max(1, Math.min(250, deadline - now)))
          now = yield* Clock.currentTimeMillis
        }
        return stored >= lsn
      })

    const refreshState = Effect.gen(function* () {
      const [s] = yield* sql<{ epoch: number; epochLsn: number; lowWaterLsn: number; storedLsn: number }>`
        select epoch, epoch_lsn, low_water_lsn, stored_lsn from feed_state where id = 1`
      if (s && s.epoch >= tail.epoch) {
        stored = Math.max(stored, s.storedLsn)
        state = { epoch: s.epoch, epochLsn: s.epochLsn, lowWater: Math.max(state.lowWater, s.lowWaterLsn) }
        if (s.epoch !== tail.epoch) tail.reset(s.epoch, s.storedLsn)
      }
      return state
    }).pipe(Effect.orDie)

    const awaitStarted = (timeoutMs = options.fenceTimeoutMs) =>
      Effect.gen(function* () {
        const deadline = (yield* Clock.currentTimeMillis) + timeoutMs
        while (state.epoch === 0 && (yield* refreshState).epoch === 0) {
          if ((yield* Clock.currentTimeMillis) >= deadline) return false
          yield* Effect.sleep(STARTED_POLL_MS)
        }
        return true
      })

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
      }).pipe(
        Effect.tap(({ cutoff }) =>
          Effect.sync(() => (state = { ...state, lowWater: Math.max(state.lowWater, cutoff) })),
        ),
        Effect.map(({ deleted }) => deleted),
        Effect.orDie,
      )

    const startConsumer = Effect.gen(function* () {
      if (consumer || !options.enabled) return
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
        onReceived: (tx) => {
          if (tail.epoch !== c.epoch) return
          if (tx.changes.length === 0) tail.advance(tx.endLsn)
          else
            tail.append(
              tx.lsn,
              tx.endLsn,
              tx.changes.map((ch, i) => ({
                tbl: ch.tbl,
                ws: ch.ws,
                lsn: tx.lsn,
                pos: i + 1,
                rowId: ch.id,
                op: ch.op,
                value: ch.value,
                old: ch.old,
              })),
            )
        },
        onStored: (lsn) => {
          if (lsn <= stored) return
          stored = lsn
          for (const wake of storedWaiters) wake()
        },
        onEpoch: (epoch, lsn) => {
          state = { epoch, epochLsn: lsn, lowWater: state.lowWater }
          tail.reset(epoch, lsn)
        },
      })
      consumer = c
      c.start()
      yield* Effect.addFinalizer(() => bestEffort("stopping the change feed's consumer", () => c.stop(), CLOSE_WITHIN))
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
      tail,
      state: () => state,
      refreshState,
      awaitStarted,
      slotHealth: () => health,
      trim,
    } satisfies FeedApi
  })
