import type { DocId, WorkspaceId } from "@vibestack/schema"
import { Context, Effect, FiberSet, Layer, PubSub, Queue } from "effect"
import { Bus } from "../bus/Bus.js"
import { PoolEvents } from "../health/PoolEvents.js"
import { bestEffort, CLOSE_WITHIN } from "../logging/bestEffort.js"
import { LoroPool } from "../pool/LoroPool.js"
import { LoroPoolService, poolCalls } from "../pool/LoroPoolService.js"
import { ByteStore } from "./ByteStore.js"
import { DocPool } from "./DocPool.js"
import { SnapshotCache } from "./SnapshotCache.js"
import { snapshotServable } from "./snapshotTail.js"

/** Memory for the snapshots served lately (`SnapshotCache`): a few large documents' worth. */
const SNAPSHOT_CACHE_BYTES = 128 * 1024 * 1024

export interface DocPoolOptions {
  readonly workers: number
  readonly maxDocsPerWorker: number
  /** Start the workers at once (a server); a CLI command starts them only if it uses the pool. */
  readonly warm?: boolean
}

/**
 * The byte store's view of the isolated Loro pool; the pool reloads documents from the store.
 * The pool itself is provided too (`LoroPoolService`), for named operations (backups, history).
 */
export const DocPoolLive = (options: DocPoolOptions) =>
  Layer.scopedContext(
    Effect.gen(function* () {
      const store = yield* ByteStore
      const events = yield* PoolEvents
      const bus = yield* Bus
      // The pool's document loads run supervised: closing the scope interrupts them.
      const runPromise = yield* FiberSet.makeRuntimePromise<never>()
      const pool = yield* Effect.acquireRelease(
        Effect.sync(
          () =>
            new LoroPool({
              workers: options.workers,
              maxDocsPerWorker: options.maxDocsPerWorker,
              source: {
                load: (ws, doc) => runPromise(store.loadDoc(ws, doc)),
                head: (ws, doc) =>
                  runPromise(Effect.map(store.docCursor(ws as WorkspaceId, doc as DocId), (c) => c ?? 0)),
              },
              // Latency, timeouts and recycles (metrics, one log line each, readiness).
              ...events.hooks("push"),
            }),
        ),
        // Bounded like a connection's close: a worker whose thread never exits must not hold the shutdown.
        (p) => bestEffort("closing the push pool's workers", () => p.close(), CLOSE_WITHIN),
      )
      yield* events.watch("push", () => pool.stats())
      const calls = poolCalls(pool)
      // Work started here and left to finish on its own (keeping a snapshot) is interrupted at shutdown.
      const background = yield* FiberSet.make<void, never>()

      const snapshots = new SnapshotCache(SNAPSHOT_CACHE_BYTES)
      // A document whose log an operator rewrote (repair) is reloaded from the store on every
      // node, and its snapshot served from memory is forgotten.
      const resets = yield* PubSub.subscribe(bus.resets)
      yield* Queue.take(resets).pipe(
        Effect.tap((r) => Effect.sync(() => snapshots.reset(r.ws, r.doc))),
        Effect.flatMap((r) => calls.discard(r.ws, r.doc)),
        Effect.forever,
        Effect.forkScoped,
      )

      // Start the workers now (they load the WASM), not on the first push.
      if (options.warm ?? true) yield* bestEffort("starting the pool", () => pool.buildSnapshot(undefined, []))

      const docPool = DocPool.of({
        validateMany: (batches) => pool.validateMany(batches),
        commitMany: (items) => pool.commitMany(items),
        discard: calls.discard,
        snapshot: (ws, doc) =>
          Effect.gen(function* () {
            const generation = snapshots.generation(ws, doc)
            // A stored snapshot whose tail is small beside it is served as is (the client pulls
            // the tail): no Loro, no O(document) export per new device (`snapshotTail.ts`). The
            // one served last is kept in memory and served again while it is the newest stored
            // (a repair deletes the snapshots that hold quarantined entries, in its own transaction).
            const tail = yield* store.snapshotTail(ws, doc).pipe(Effect.orElseSucceed(() => undefined))
            if (tail !== undefined && snapshotServable(tail)) {
              const kept = snapshots.get(ws, doc)
              if (kept !== undefined && kept.seq === tail.snapshotSeq) return kept
              const stored = yield* store.newestSnapshot(ws, doc).pipe(Effect.orElseSucceed(() => undefined))
              if (stored !== undefined && stored.seq === tail.snapshotSeq) {
                snapshots.put(ws, doc, stored, generation)
                return stored
              }
            }
            // At least at the log's head: another node may have committed since this copy loaded.
            const fresh = yield* calls.exportSnapshot(ws, doc, tail?.head)
            if (fresh.seq > (tail?.snapshotSeq ?? 0))
              yield* FiberSet.run(
                background,
                store.saveSnapshot(ws, doc, fresh.seq, fresh.bytes).pipe(
                  // Stored now: served from memory from here on (the next request checks the row).
                  Effect.tap(() => snapshots.put(ws, doc, fresh, generation)),
                  Effect.catchAllCause((cause) =>
                    Effect.logWarning(`could not keep the snapshot of ${ws}/${doc}`, cause),
                  ),
                ),
              )
            return fresh
          }),
      })
      return Context.make(DocPool, docPool).pipe(Context.add(LoroPoolService, calls))
    }),
  )

export type { LoroPool }
