import { apiError } from "@vibestack/shared"
import { Context, Effect, Layer, Runtime } from "effect"
import { Metrics } from "../metrics/Metrics.js"
import { LoroPool } from "../pool/LoroPool.js"
import { LoroPoolService } from "../pool/LoroPoolService.js"
import { PoolError } from "../pool/PoolError.js"
import { ByteStore } from "./ByteStore.js"
import { DocPool } from "./DocPool.js"

export interface DocPoolOptions {
  readonly workers: number
  readonly maxDocsPerWorker: number
}

/**
 * The byte store's view of the isolated Loro pool; the pool reloads documents from the store.
 * The pool itself is provided too (`LoroPoolService`), for named operations (backups, history).
 */
export const DocPoolLive = (options: DocPoolOptions) =>
  Layer.scopedContext(
    Effect.gen(function* () {
      const store = yield* ByteStore
      const metrics = yield* Metrics
      const runPromise = Runtime.runPromise(yield* Effect.runtime<never>())
      const pool = yield* Effect.acquireRelease(
        Effect.sync(
          () =>
            new LoroPool({
              workers: options.workers,
              maxDocsPerWorker: options.maxDocsPerWorker,
              source: { load: (ws, doc) => runPromise(store.loadDoc(ws, doc)) },
            }),
        ),
        (p) => Effect.promise(() => p.close()),
      )
      metrics.gauge("vibestack_pool_recycles", () => pool.stats().recycles, "Loro pool workers recycled after a crash")
      metrics.gauge("vibestack_pool_refused", () => pool.stats().refused, "blobs the Loro pool refused")
      metrics.gauge("vibestack_pool_docs_loaded", () => pool.stats().docsLoaded, "documents (re)loaded into the pool")

      // Start the workers now (they compile through tsx and load the WASM), not on the first push.
      yield* Effect.promise(() => pool.buildSnapshot(undefined, []).catch(() => undefined))

      /** The pool's own kinds: `Unavailable` (a recycled worker, a store that cannot be read) is retryable. */
      const toApiError = (what: string) => (e: unknown) => {
        const message = `${what}: ${e instanceof Error ? e.message : String(e)}`
        return e instanceof PoolError && e.kind === "Unavailable"
          ? apiError("Unavailable", message)
          : apiError("Internal", message)
      }

      const docPool = DocPool.of({
        validate: (ws, doc, blobs, head) =>
          Effect.tryPromise({
            try: () => pool.validate(ws, doc, blobs, head),
            catch: toApiError("validation unavailable"),
          }),
        committed: (ws, doc, from, to) => Effect.promise(() => pool.markCommitted(ws, doc, to, from).catch(() => {})),
        discard: (ws, doc) => Effect.promise(() => pool.discard(ws, doc).catch(() => {})),
        // At least at the log's head: another node may have committed since this copy loaded.
        snapshot: (ws, doc) =>
          Effect.flatMap(store.docCursor(ws, doc).pipe(Effect.orElseSucceed(() => undefined)), (head) =>
            Effect.tryPromise({
              try: () => pool.exportSnapshot(ws, doc, head),
              catch: toApiError("snapshot failed"),
            }),
          ),
      })
      return Context.make(DocPool, docPool).pipe(Context.add(LoroPoolService, pool))
    }),
  )

export type { LoroPool }
