import { Context, Effect } from "effect"

/**
 * Fault injection for the projection's crash tests (TESTING.md F5): `step` runs at every
 * point where a real crash could land (after loading, after the pool's import, before each
 * SQL statement of the batch transaction, after its commit). Production uses the no-op default.
 */
export class ProjectionFaults extends Context.Reference<ProjectionFaults>()("ProjectionFaults", {
  defaultValue: () => ({ step: (_label: string): Effect.Effect<void> => Effect.void }),
}) {}
