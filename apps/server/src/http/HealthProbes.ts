import { Context, Effect, Layer, Ref } from "effect"

/**
 * Lag figures shown by /healthz, filled in by the features that own them (projection,
 * WAL consumer). Until a feature registers, its figure is null.
 */
export interface Probes {
  readonly replicationLagBytes: Effect.Effect<number | null>
  readonly projectionLag: Effect.Effect<number | null>
}

export class HealthProbes extends Context.Tag("HealthProbes")<HealthProbes, Ref.Ref<Probes>>() {
  static readonly layer = Layer.effect(
    HealthProbes,
    Ref.make<Probes>({ replicationLagBytes: Effect.succeed(null), projectionLag: Effect.succeed(null) }),
  )
}
