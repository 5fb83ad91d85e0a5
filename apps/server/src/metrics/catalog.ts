/**
 * Every metric the server exports, declared once: its type, help text, labels and (for
 * labelled ones) the label values it starts with at zero. `Metrics` registers them all when
 * it starts, so a scrape right after start shows every series an alert or a dashboard reads
 * (no "push metrics appear after the first push"). docs/OPERATIONS.md lists the same names
 * (a test keeps the two in step). Names are the call sites' type: a typo does not compile.
 */

/** Seconds, from a fast request to a 100,000-task document's pool load. */
export const LATENCY_BUCKETS = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300,
]
/** Counts (batch sizes). */
export const SIZE_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096]

type Labels = ReadonlyArray<string>
type Initial = ReadonlyArray<Readonly<Record<string, string>>>

interface CounterDef {
  readonly type: "counter"
  readonly help: string
  readonly labels?: Labels
  readonly initial?: Initial
}
interface GaugeDef {
  readonly type: "gauge"
  readonly help: string
  readonly labels?: Labels
}
interface HistogramDef {
  readonly type: "histogram"
  readonly help: string
  readonly labels?: Labels
  readonly initial?: Initial
  readonly buckets: ReadonlyArray<number>
}
export type MetricDef = CounterDef | GaugeDef | HistogramDef

const counter = (help: string, labels?: Labels, initial?: Initial): CounterDef => ({
  type: "counter",
  help,
  ...(labels ? { labels } : {}),
  ...(initial ? { initial } : {}),
})
const gauge = (help: string, labels?: Labels): GaugeDef => ({ type: "gauge", help, ...(labels ? { labels } : {}) })
const histogram = (
  help: string,
  buckets: ReadonlyArray<number> = LATENCY_BUCKETS,
  labels?: Labels,
  initial?: Initial,
): HistogramDef => ({
  type: "histogram",
  help,
  buckets,
  ...(labels ? { labels } : {}),
  ...(initial ? { initial } : {}),
})

const each = <K extends string>(key: K, values: ReadonlyArray<string>) => values.map((v) => ({ [key]: v }))
const POOLS = ["push", "projection"]
const POOL_OPS = ["Load", "Validate", "Run", "RunMany", "ExportSnapshot", "Build", "Discard"]
const poolOps = POOLS.flatMap((pool) => POOL_OPS.map((op) => ({ pool, op })))

export const catalog = {
  // HTTP
  vibestack_http_requests_total: counter("HTTP requests answered", ["route", "method", "status"]),
  vibestack_http_request_seconds: histogram("HTTP request latency by route template and status", LATENCY_BUCKETS, [
    "route",
    "method",
    "status",
  ]),
  vibestack_http_server_errors_total: counter("HTTP 5xx answers (each also logged once with its request id)"),

  // Push path
  vibestack_pushes_total: counter(
    "pushes committed and acknowledged",
    ["duplicate"],
    each("duplicate", ["false", "true"]),
  ),
  vibestack_push_bytes_total: counter("bytes of acknowledged pushes"),
  vibestack_push_seconds: histogram("push latency: arrival to acknowledgement (after commit)"),
  vibestack_push_queue_depth: gauge("pushes waiting in document lanes for the next tick (not yet in the pool)"),
  vibestack_validate_seconds: histogram("one tick's validation in the pool (all its documents)"),
  vibestack_validate_batch_size: histogram("pushes of one document judged together", SIZE_BUCKETS),
  vibestack_tick_docs_size: histogram("documents in one push tick", SIZE_BUCKETS),
  vibestack_push_batch_seconds: histogram("one commit transaction of the byte store"),
  vibestack_push_batch_size: histogram("pushes in one commit transaction", SIZE_BUCKETS),
  vibestack_push_stage_seconds: histogram(
    "where a push's time goes: queue (arrival to its tick), validate (the tick's pool call), commit_wait (validated, waiting for the transaction it joins: one is in flight at a time), commit (the transaction), answer (commit to the push's answer)",
    LATENCY_BUCKETS,
    ["stage"],
    each("stage", ["queue", "validate", "commit_wait", "commit", "answer"]),
  ),
  vibestack_refused_blobs_total: counter(
    "pushes refused, by reason",
    ["reason"],
    each("reason", ["header", "invalid", "crash", "pool", "too_large", "crash_budget"]),
  ),
  vibestack_pool_crashes_total: counter("Loro panics caused by pushed blobs"),
  vibestack_crash_budget_trips_total: counter("workspaces that used up their crash budget (S13)"),

  // Loro pools (label pool = push | projection)
  vibestack_pool_call_seconds: histogram(
    "one pool worker call (Load, Validate, Run, ExportSnapshot, Build, Discard)",
    LATENCY_BUCKETS,
    ["pool", "op"],
    poolOps,
  ),
  vibestack_pool_timeouts_total: counter(
    "pool calls over their budget (the worker is recycled, the caller told Unavailable)",
    ["pool", "op"],
    poolOps,
  ),
  vibestack_pool_recycles_total: counter(
    "pool workers replaced, by cause",
    ["pool", "cause"],
    POOLS.flatMap((pool) => ["timeout", "crash", "exit", "poisoned"].map((cause) => ({ pool, cause }))),
  ),
  vibestack_pool_docs_loaded_total: counter(
    "documents (re)loaded into a pool from the store",
    ["pool"],
    each("pool", POOLS),
  ),
  vibestack_pool_busy_workers: gauge("pool workers with a call in flight", ["pool"]),

  // Live sockets and fan-out
  vibestack_live_sockets: gauge("open authenticated live sockets"),
  vibestack_live_docs_followed: gauge("documents with local subscribers"),
  vibestack_live_presence_sockets: gauge("live sockets sharing presence (S26)"),
  vibestack_live_slow_consumers_total: counter("live sockets closed for not reading (4009)"),
  vibestack_live_expired_total: counter("live sockets closed when their token expired"),
  vibestack_fanout_seconds: histogram("commit to frame sent to this node's subscribers"),

  // Projection
  vibestack_projection_lag: gauge("committed updates not yet projected (all documents)"),
  vibestack_projection_lag_seconds: gauge("age of the oldest committed update not yet projected (0 when caught up)"),
  vibestack_projection_workspace_lag: gauge("updates not yet projected, per workspace (the most lagging only)", [
    "workspace",
  ]),
  vibestack_projection_workspace_lag_seconds: gauge(
    "age of the oldest unprojected update, per workspace (the most lagging only)",
    ["workspace"],
  ),
  vibestack_projection_leases: gauge("workspaces this node projects"),
  vibestack_projection_lease_changes_total: counter(
    "projection leases taken, released or lost",
    ["change"],
    each("change", ["acquired", "released", "lost"]),
  ),
  vibestack_projection_updates_total: counter("updates projected"),
  vibestack_projection_entity_changes_total: counter("entity rows upserted or deleted by the projection"),
  vibestack_projection_batch_seconds: histogram(
    "one projection batch (load, pool, transaction)",
    LATENCY_BUCKETS,
    ["lane"],
    each("lane", ["light", "heavy"]),
  ),
  vibestack_projection_batch_updates: histogram("updates in one projection batch", SIZE_BUCKETS),
  vibestack_projection_group_docs: histogram(
    "documents in one projection turn (a group of several projects them with one read, pool message and statement)",
    SIZE_BUCKETS,
  ),
  vibestack_projection_failures_total: counter("projection batches that failed (the document backs off)"),
  vibestack_projection_backoff_docs: gauge("documents waiting out a backoff after failures"),
  vibestack_projection_running: gauge("projection batches running now", ["lane"]),
  vibestack_projection_quarantined_total: counter("updates the projection quarantined (do not import)"),
  vibestack_projection_invalid_entities_total: counter("entities left out of the tables (unreadable)"),

  // Change feed
  vibestack_feed_up: gauge("1 while this node's WAL consumer streams or stands by, 0 when stalled or stopped"),
  vibestack_feed_slot_lag_bytes: gauge("WAL bytes the feed slot has not confirmed (-1: no slot)"),
  vibestack_feed_lag_seconds: gauge("how long ago the WAL position the slot confirmed was current"),
  vibestack_feed_wal_retained_bytes: gauge("WAL bytes the slot retains (-1: no slot)"),
  vibestack_feed_safe_wal_bytes: gauge("bytes the slot may still fall behind before Postgres drops it (-1: unlimited)"),
  vibestack_feed_epoch: gauge("generation of the feed slot"),
  vibestack_feed_stored_lsn: gauge("every commit below this LSN is in change_log"),
  vibestack_feed_must_refetch_total: counter("shape requests answered must-refetch"),
  vibestack_feed_shape_requests_total: counter("shape requests", ["kind", "live"]),

  // Cross-node bus and health
  vibestack_bus_listening: gauge("1 while the LISTEN connection is up"),
  vibestack_bus_reconnects_total: counter("LISTEN connections re-established"),
  vibestack_health_status: gauge("readiness per check: 0 ok, 1 degraded, 2 unavailable", ["check"]),

  // Limits (docs/SECURITY.md)
  vibestack_limit_refusals_total: counter("requests refused by a rate limit or quota", ["limit"]),
  vibestack_limit_trips_total: counter("rate limits or quotas that started refusing a client", ["limit"]),
  vibestack_handler_errors_total: counter(
    "exceptions caught at a request or upgrade handler",
    ["where"],
    each("where", ["http", "live"]),
  ),
  vibestack_uncaught_errors_total: counter(
    "uncaught exceptions and unhandled rejections the server survived (a bug: see the log)",
    ["kind"],
    each("kind", ["uncaughtException", "unhandledRejection"]),
  ),
} as const satisfies Record<string, MetricDef>

export type MetricName = keyof typeof catalog
type OfType<T extends MetricDef["type"]> = {
  [K in MetricName]: (typeof catalog)[K]["type"] extends T ? K : never
}[MetricName]
export type CounterName = OfType<"counter">
export type GaugeName = OfType<"gauge">
export type HistogramName = OfType<"histogram">
