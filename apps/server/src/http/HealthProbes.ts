import { Context, Effect, Layer, Ref } from "effect"

/** The projection's figures, as of its last sweep (`projection/Projector.ts`). */
export interface ProjectionProbe {
  /** Committed updates not yet projected, all documents. */
  readonly lag: number
  /** Age of the oldest committed update not yet projected (0 when caught up). */
  readonly lagSeconds: number
  /** Documents waiting out a backoff after failed batches. */
  readonly failingDocs: number
  /** When these figures were read (ms since epoch); stale figures are themselves a problem. */
  readonly at: number
}

/** This node's change-feed consumer and its replication slot. */
export interface FeedProbe {
  readonly status: string
  readonly lagBytes: number | null
  readonly lagSeconds: number | null
  readonly retainedBytes: number | null
  readonly walStatus: string | null
}

export interface ListenProbe {
  readonly up: boolean
  /** Since when the connection is in this state (ms since epoch). */
  readonly since: number
}

/**
 * Figures shown by /healthz and judged by /readyz, filled in by the features that own them
 * (projection, WAL consumer, bus, push path). Until a feature registers, its figure is absent
 * (null in /healthz; its readiness check says the feature does not run on this node).
 */
export interface Probes {
  readonly replicationLagBytes: Effect.Effect<number | null>
  readonly projectionLag: Effect.Effect<number | null>
  readonly projection?: () => ProjectionProbe
  readonly feed?: () => FeedProbe
  readonly listen?: () => ListenProbe
  /** Pushes waiting in document lanes for the pool. */
  readonly pushQueue?: () => number
}

export class HealthProbes extends Context.Tag("HealthProbes")<HealthProbes, Ref.Ref<Probes>>() {
  static readonly layer = Layer.effect(
    HealthProbes,
    Ref.make<Probes>({ replicationLagBytes: Effect.succeed(null), projectionLag: Effect.succeed(null) }),
  )
}
