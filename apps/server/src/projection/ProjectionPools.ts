import { Effect, FiberSet, Scope } from "effect"
import { PoolEvents } from "../health/PoolEvents.js"
import { bestEffort, CLOSE_WITHIN } from "../logging/bestEffort.js"
import { LoroPool } from "../pool/LoroPool.js"
import type { ProjectionConfig } from "./ProjectionConfig.js"
import type { ProjectionStore } from "./ProjectionStore.js"

/**
 * The projection's own Loro pools: their copies sit at `projected_seq`, not at the log's
 * head like the push path's, and their bulk imports never queue behind push validation.
 * Two lanes: `light` for ordinary documents, and `heavy`, a worker of its own for large
 * documents (started at the first one), so a 30-second import of a 100,000-task document
 * never stands in front of a small workspace's batch in the same worker thread.
 */
export const makeProjectionPools = (config: ProjectionConfig, store: ProjectionStore) =>
  Effect.gen(function* () {
    const events = yield* PoolEvents
    // The pools' document loads run supervised: closing the scope interrupts them.
    const runPromise = yield* FiberSet.makeRuntimePromise<never>()
    const scope = yield* Effect.scope
    const make = (workers: number) =>
      Effect.acquireRelease(
        Effect.sync(
          () =>
            new LoroPool({
              workers,
              maxDocsPerWorker: config.poolDocsPerWorker,
              source: { load: (ws, doc) => runPromise(store.loadAtProjected(ws, doc)) },
              ...events.hooks("projection"),
            }),
        ),
        (p) => bestEffort("closing a projection pool's workers", () => p.close(), CLOSE_WITHIN),
      ).pipe(Scope.extend(scope))

    // Both lanes start on first use: a CLI command that never projects starts no worker.
    let light: LoroPool | undefined
    let heavy: LoroPool | undefined
    const lightPool = yield* Effect.cached(Effect.tap(make(config.poolWorkers), (p) => Effect.sync(() => (light = p))))
    const heavyPool = yield* Effect.cached(Effect.tap(make(1), (p) => Effect.sync(() => (heavy = p))))
    yield* events.watch("projection", () => {
      const [a, b] = [light?.stats(), heavy?.stats()]
      const busy = (a?.busyWorkers ?? 0) + (b?.busyWorkers ?? 0)
      return { recycles: 0, refused: 0, validated: 0, docsLoaded: 0, crashes: 0, ...a, busyWorkers: busy }
    })

    return {
      /** The pool of a document's lane. */
      poolFor: (isHeavy: boolean): Effect.Effect<LoroPool> => (isHeavy ? heavyPool : lightPool),
      /** A document moved to the heavy lane: free its copy in the light one. */
      leaveLight: (ws: string, doc: string) =>
        Effect.suspend(() => {
          const pool = light
          return pool === undefined
            ? Effect.void
            : bestEffort(`dropping ${ws}/${doc} from the light pool`, () => pool.discard(ws, doc))
        }),
    } as const
  })

export type ProjectionPools = Effect.Effect.Success<ReturnType<typeof makeProjectionPools>>
