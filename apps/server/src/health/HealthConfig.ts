import { Config } from "effect"

/**
 * Where `/readyz` turns from ok to degraded (docs/OPERATIONS.md "Health"). Each threshold is
 * a `VIBESTACK_HEALTH_*` variable; the defaults suit one node on a small machine.
 */
export interface HealthConfig {
  /** Committed updates not yet projected, all documents together. */
  readonly projectionLag: number
  /** Age of the oldest committed update not yet projected. */
  readonly projectionLagSeconds: number
  /** WAL bytes the change-feed slot has not confirmed. */
  readonly slotLagBytes: number
  /** WAL bytes the slot keeps on disk. */
  readonly walRetainedBytes: number
  /** How long ago the WAL position the slot confirmed was current. */
  readonly feedLagSeconds: number
  /** Pushes waiting in document lanes for the pool (highest in the last `saturationWindowSeconds`). */
  readonly pushQueue: number
  readonly saturationWindowSeconds: number
  /** Pool workers recycled within `recycleWindowSeconds`. */
  readonly poolRecycles: number
  readonly recycleWindowSeconds: number
}

export const defaultHealthConfig: HealthConfig = {
  projectionLag: 10_000,
  projectionLagSeconds: 60,
  slotLagBytes: 256 * 1024 * 1024,
  walRetainedBytes: 1024 * 1024 * 1024,
  feedLagSeconds: 60,
  pushQueue: 1_000,
  saturationWindowSeconds: 10,
  poolRecycles: 3,
  recycleWindowSeconds: 300,
}

const positive = (name: string, fallback: number) =>
  Config.integer(name).pipe(
    Config.validate({ message: `${name} must be a positive integer`, validation: (n) => n > 0 }),
    Config.withDefault(fallback),
  )

export const HealthConfig: Config.Config<HealthConfig> = Config.all({
  projectionLag: positive("VIBESTACK_HEALTH_PROJECTION_LAG", defaultHealthConfig.projectionLag),
  projectionLagSeconds: positive("VIBESTACK_HEALTH_PROJECTION_LAG_SECONDS", defaultHealthConfig.projectionLagSeconds),
  slotLagBytes: positive("VIBESTACK_HEALTH_SLOT_LAG_BYTES", defaultHealthConfig.slotLagBytes),
  walRetainedBytes: positive("VIBESTACK_HEALTH_WAL_RETAINED_BYTES", defaultHealthConfig.walRetainedBytes),
  feedLagSeconds: positive("VIBESTACK_HEALTH_FEED_LAG_SECONDS", defaultHealthConfig.feedLagSeconds),
  pushQueue: positive("VIBESTACK_HEALTH_PUSH_QUEUE", defaultHealthConfig.pushQueue),
  saturationWindowSeconds: positive(
    "VIBESTACK_HEALTH_SATURATION_WINDOW_SECONDS",
    defaultHealthConfig.saturationWindowSeconds,
  ),
  poolRecycles: positive("VIBESTACK_HEALTH_POOL_RECYCLES", defaultHealthConfig.poolRecycles),
  recycleWindowSeconds: positive("VIBESTACK_HEALTH_RECYCLE_WINDOW_SECONDS", defaultHealthConfig.recycleWindowSeconds),
})
