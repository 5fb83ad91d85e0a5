import { Config } from "effect"

export interface FeedOptions {
  /** Off: no consumer runs on this node (the shape endpoint still serves what is stored). */
  readonly enabled: boolean
  readonly slotName: string
  readonly publication: string
  /** How long a `live=true` request waits for a change before answering up-to-date. */
  readonly longPollMs: number
  /** Snapshot and catch-up responses are cut into pages of about this many bytes. */
  readonly pageBytes: number
  /** change_log keeps at least this much history (by commit time)... */
  readonly retentionMs: number
  /** ...and at most this many rows; older consumers get must-refetch. */
  readonly retentionMaxRows: number
  readonly retentionIntervalMs: number
  readonly healthIntervalMs: number
  /** How long an initial sync waits for the consumer to store what its snapshot saw. */
  readonly fenceTimeoutMs: number
  /** How long a snapshot's later pages stay available to the client that asked for it. */
  readonly snapshotTtlMs: number
  /** Initial syncs reading Postgres at once on this node; more wait for a turn. */
  readonly snapshotConcurrency: number
  /** Snapshot pages held for their clients on this node, in bytes; past it new initial syncs get 503. */
  readonly snapshotMemoryBytes: number
  /** Bytes of recent changes kept in memory to answer long-polls without a query. */
  readonly tailBytes: number
}

export const FeedOptionsConfig: Config.Config<FeedOptions> = Config.all({
  enabled: Config.boolean("VIBESTACK_FEED_ENABLED").pipe(Config.withDefault(true)),
  slotName: Config.string("VIBESTACK_FEED_SLOT").pipe(Config.withDefault("vibestack_feed")),
  publication: Config.succeed("vibestack_feed"),
  longPollMs: Config.integer("VIBESTACK_FEED_LONG_POLL_MS").pipe(Config.withDefault(20_000)),
  pageBytes: Config.integer("VIBESTACK_FEED_PAGE_BYTES").pipe(Config.withDefault(2 * 1024 * 1024)),
  retentionMs: Config.integer("VIBESTACK_FEED_RETENTION_HOURS").pipe(
    Config.withDefault(7 * 24),
    Config.map((h) => h * 3600_000),
  ),
  retentionMaxRows: Config.integer("VIBESTACK_FEED_RETENTION_ROWS").pipe(Config.withDefault(10_000_000)),
  retentionIntervalMs: Config.succeed(60_000),
  healthIntervalMs: Config.succeed(2_000),
  fenceTimeoutMs: Config.succeed(10_000),
  snapshotTtlMs: Config.succeed(60_000),
  snapshotConcurrency: Config.integer("VIBESTACK_FEED_SNAPSHOT_CONCURRENCY").pipe(Config.withDefault(4)),
  snapshotMemoryBytes: Config.integer("VIBESTACK_FEED_SNAPSHOT_MEMORY_MB").pipe(
    Config.withDefault(256),
    Config.map((mb) => mb * 1024 * 1024),
  ),
  tailBytes: Config.integer("VIBESTACK_FEED_TAIL_MB").pipe(
    Config.withDefault(64),
    Config.map((mb) => mb * 1024 * 1024),
  ),
})
