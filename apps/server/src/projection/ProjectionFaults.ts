import { Context, Effect } from "effect"

/**
 * Fault injection for the projection's crash tests (TESTING.md F5): `step` runs at every
 * point where a real crash could land (after loading, after the pool's import, before each
 * SQL statement of the batch transaction, after its commit), with the document it works on
 * (a test can stall or fail one document and watch the others). Production uses the no-op default.
 */
export class ProjectionFaults extends Context.Reference<ProjectionFaults>()("ProjectionFaults", {
  defaultValue: () => ({
    step: (_label: string, _target: { readonly ws: string; readonly doc: string }): Effect.Effect<void> => Effect.void,
  }),
}) {}
