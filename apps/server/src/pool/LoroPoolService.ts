import { apiError, type Internal, type Unavailable } from "@vibestack/shared"
import { Context, Effect, Layer } from "effect"
import { bestEffort, CLOSE_WITHIN } from "../logging/bestEffort.js"
import { LoroPool, type LoroPoolOptions, type ValidateRequest, type ValidateResult } from "./LoroPool.js"
import type { PoolOpArgs, PoolOpName } from "./ops/index.js"
import { PoolError } from "./PoolError.js"
import type { Snapshot } from "./protocol.js"

/** How a pool call fails, as the API answers it. */
export type PoolFailure = Unavailable | Internal

/**
 * The one mapping from the pool's failures to API errors: `Unavailable` (a recycled or timed
 * out worker, a store that cannot be read) is retryable; anything else is `Internal` (Loro
 * failed on data the store supplied). Callers that mean something else by a Loro failure (a
 * damaged document: 409; an upload: 422) catch `Internal` and say so.
 */
export const poolFailure = (e: unknown): PoolFailure => {
  const message = e instanceof Error ? e.message : String(e)
  return e instanceof PoolError && e.kind === "Unavailable"
    ? apiError("Unavailable", message)
    : apiError("Internal", message)
}

/** Loro failed on the data (not an outage): for callers that answer that case themselves. */
export const isLoroFailure = (e: PoolFailure): e is Internal => e.error.kind === "Internal"

const call = <A>(f: () => Promise<A>): Effect.Effect<A, PoolFailure> =>
  Effect.tryPromise({ try: f, catch: poolFailure })

/**
 * A pool's calls as Effects, failures mapped once (`poolFailure`). The push path keeps the
 * promise methods of `LoroPool` (`validateMany`, `commitMany`: no Effect per push).
 */
export const poolCalls = (pool: LoroPool) =>
  ({
    /** Runs a named operation (`pool/ops`) on the document's copy. */
    run: <K extends PoolOpName>(ws: string, doc: string, op: K, args: PoolOpArgs<K>) =>
      call(() => pool.run(ws, doc, op, args)),
    /** A full snapshot of the committed state, at least at `atLeastSeq`. */
    exportSnapshot: (ws: string, doc: string, atLeastSeq?: number): Effect.Effect<Snapshot, PoolFailure> =>
      call(() => pool.exportSnapshot(ws, doc, atLeastSeq)),
    buildSnapshot: (snapshot: Uint8Array | undefined, updates: ReadonlyArray<Uint8Array>) =>
      call(() => pool.buildSnapshot(snapshot, updates)),
    /** Bytes validated before they were stored (see `LoroPool.importStored`). */
    importStored: (ws: string, doc: string, blobs: ReadonlyArray<Uint8Array>) =>
      call((): Promise<ReadonlyArray<ValidateResult>> => pool.importStored(ws, doc, blobs)),
    /** `importStored` of many documents at once; each judged on its own (`LoroPool.importStoredMany`). */
    importStoredMany: (requests: ReadonlyArray<ValidateRequest>) => call(() => pool.importStoredMany(requests)),
    /** `run` on many documents at once; each answers on its own (`LoroPool.runMany`). */
    runMany: <K extends PoolOpName>(
      items: ReadonlyArray<{ readonly ws: string; readonly doc: string; readonly op: K; readonly args: PoolOpArgs<K> }>,
    ) => call(() => pool.runMany(items)),
    markCommitted: (ws: string, doc: string, upToSeq: number) => call(() => pool.markCommitted(ws, doc, upToSeq)),
    /** Drops the document's copy (it reloads on next use); a failure is logged, never raised. */
    discard: (ws: string, doc: string) =>
      bestEffort(`dropping the pool's copy of ${ws}/${doc}`, () => pool.discard(ws, doc)),
  }) as const

export type PoolCalls = ReturnType<typeof poolCalls>

/**
 * The server's pool (the push path's copies) for everything but the push path: backups,
 * history, whole-document checks. `DocPoolLive` provides it beside `DocPool`; `layer` starts
 * a pool of its own (tests), terminated when its scope closes.
 */
export class LoroPoolService extends Context.Tag("@vibestack/server/LoroPoolService")<LoroPoolService, PoolCalls>() {
  static readonly layer = (options: LoroPoolOptions): Layer.Layer<LoroPoolService> =>
    Layer.scoped(
      LoroPoolService,
      Effect.map(
        Effect.acquireRelease(
          Effect.sync(() => new LoroPool(options)),
          (pool) => bestEffort("closing the pool's workers", () => pool.close(), CLOSE_WITHIN),
        ),
        poolCalls,
      ),
    )
}
