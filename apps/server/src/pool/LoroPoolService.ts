import { Context, Effect, Layer } from "effect"
import { LoroPool, type LoroPoolOptions } from "./LoroPool.js"
import { PoolError } from "./PoolError.js"

/**
 * The pool as an Effect service. `layer` owns the workers: they start with the layer and
 * are terminated when its scope closes. Methods fail with PoolError (never a Loro string).
 */
export class LoroPoolService extends Context.Tag("@vibestack/server/LoroPoolService")<LoroPoolService, LoroPool>() {
  static readonly layer = (options: LoroPoolOptions): Layer.Layer<LoroPoolService> =>
    Layer.scoped(
      LoroPoolService,
      Effect.acquireRelease(
        Effect.sync(() => new LoroPool(options)),
        (pool) => Effect.promise(() => pool.close()),
      ),
    )
}

/** Lifts a pool call into Effect: PoolError stays typed, anything else becomes a PoolError "Internal". */
export const usePool = <A>(f: (pool: LoroPool) => Promise<A>): Effect.Effect<A, PoolError, LoroPoolService> =>
  Effect.flatMap(LoroPoolService, (pool) =>
    Effect.tryPromise({
      try: () => f(pool),
      catch: (err) => (err instanceof PoolError ? err : new PoolError({ kind: "Internal", message: String(err) })),
    }),
  )
