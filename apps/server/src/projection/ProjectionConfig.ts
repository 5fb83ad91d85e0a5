import { Config } from "effect"

/** Tuning of the projection job, from the environment (`VIBESTACK_PROJECTION_*`). */
export interface ProjectionConfig {
  /** Run the background job on this node (the CLI builds the service without it). */
  readonly enabled: boolean
  /** Most updates imported and projected per transaction (each document's batch adapts below it). */
  readonly batchUpdates: number
  /** A batch should take about this long: longer ones halve the document's batch, quick full ones double it. */
  readonly batchBudgetMs: number
  /** Most bytes of updates loaded per batch (at least one update is always taken). */
  readonly batchBytes: number
  /** Write a Loro snapshot to `doc_snapshots` every this many updates. */
  readonly snapshotEvery: number
  /** …or after a batch that imported at least this many bytes (a replay, a big paste). */
  readonly snapshotBytes: number
  /** Backstop for missed notifications: how often every document's lag is checked. */
  readonly sweepMs: number
  /** A lease with no work for this long is released, so other nodes can balance. */
  readonly leaseIdleMs: number
  /** Most workspaces this node projects at once; the rest are left to other nodes. */
  readonly maxLeases: number
  /** Most documents (of distinct workspaces) one turn projects together (`projectGroup`); 1 turns groups off. */
  readonly groupDocs: number
  /**
   * Under load (a turn of at least `gatherFrom` documents), a document's work waits until it is
   * this old before its turn, so batches carry several updates (Scheduler.ts); 0 never waits.
   */
  readonly gatherMs: number
  readonly gatherFrom: number
  /** Batches projected concurrently on this node (heavy documents get at most all but one slot). */
  readonly concurrency: number
  /** A document whose stored state is larger than this is heavy: its own pool worker, never every slot. */
  readonly heavyBytes: number
  /** A batch that takes longer than this marks its document heavy too. */
  readonly heavyBatchMs: number
  /** A failed batch's document waits this long before its retry, doubling per failure up to the max. */
  readonly backoffBaseMs: number
  readonly backoffMaxMs: number
  /** The most lagging workspaces shown per workspace in /metrics. */
  readonly lagTopN: number
  /** Worker threads of the projection's own Loro pool, and documents cached per worker. */
  readonly poolWorkers: number
  readonly poolDocsPerWorker: number
}

export const ProjectionConfig: Config.Config<ProjectionConfig> = Config.all({
  enabled: Config.boolean("VIBESTACK_PROJECTION_ENABLED").pipe(Config.withDefault(true)),
  batchUpdates: Config.integer("VIBESTACK_PROJECTION_BATCH").pipe(Config.withDefault(500)),
  batchBudgetMs: Config.integer("VIBESTACK_PROJECTION_BATCH_BUDGET_MS").pipe(Config.withDefault(2000)),
  batchBytes: Config.integer("VIBESTACK_PROJECTION_BATCH_BYTES").pipe(Config.withDefault(32 * 1024 * 1024)),
  snapshotEvery: Config.integer("VIBESTACK_PROJECTION_SNAPSHOT_EVERY").pipe(Config.withDefault(500)),
  snapshotBytes: Config.integer("VIBESTACK_PROJECTION_SNAPSHOT_BYTES").pipe(Config.withDefault(1024 * 1024)),
  sweepMs: Config.integer("VIBESTACK_PROJECTION_SWEEP_MS").pipe(Config.withDefault(2000)),
  leaseIdleMs: Config.integer("VIBESTACK_PROJECTION_LEASE_IDLE_MS").pipe(Config.withDefault(60_000)),
  maxLeases: Config.integer("VIBESTACK_PROJECTION_MAX_LEASES").pipe(Config.withDefault(10_000)),
  groupDocs: Config.integer("VIBESTACK_PROJECTION_GROUP_DOCS").pipe(
    Config.validate({ message: "VIBESTACK_PROJECTION_GROUP_DOCS must be at least 1", validation: (n) => n >= 1 }),
    Config.withDefault(64),
  ),
  gatherMs: Config.integer("VIBESTACK_PROJECTION_GATHER_MS").pipe(Config.withDefault(250)),
  gatherFrom: Config.integer("VIBESTACK_PROJECTION_GATHER_FROM").pipe(Config.withDefault(8)),
  concurrency: Config.integer("VIBESTACK_PROJECTION_CONCURRENCY").pipe(
    Config.validate({ message: "VIBESTACK_PROJECTION_CONCURRENCY must be at least 1", validation: (n) => n >= 1 }),
    Config.withDefault(2),
  ),
  heavyBytes: Config.integer("VIBESTACK_PROJECTION_HEAVY_BYTES").pipe(Config.withDefault(1024 * 1024)),
  heavyBatchMs: Config.integer("VIBESTACK_PROJECTION_HEAVY_BATCH_MS").pipe(Config.withDefault(5000)),
  backoffBaseMs: Config.integer("VIBESTACK_PROJECTION_BACKOFF_MS").pipe(Config.withDefault(1000)),
  backoffMaxMs: Config.integer("VIBESTACK_PROJECTION_BACKOFF_MAX_MS").pipe(Config.withDefault(5 * 60_000)),
  lagTopN: Config.integer("VIBESTACK_PROJECTION_LAG_TOP_N").pipe(Config.withDefault(10)),
  poolWorkers: Config.integer("VIBESTACK_PROJECTION_POOL_WORKERS").pipe(Config.withDefault(1)),
  poolDocsPerWorker: Config.integer("VIBESTACK_PROJECTION_POOL_DOCS").pipe(Config.withDefault(128)),
})
