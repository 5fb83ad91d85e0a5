import type { StoredDoc } from "./LocalStore.js"

/**
 * How the engine reaches the live document. The engine works with bytes only: in the
 * browser the LoroDoc lives on the main thread and the engine in a worker, so the host
 * there forwards bytes across `postMessage`; `LoroDocHost` is the in-process one.
 */
export interface DocHost {
  /**
   * Imports updates (or a snapshot) into the live document: from the server, or a change the
   * engine itself committed (a retried refused change, C15, already in the outbox). Rejects
   * when the bytes do not import, so the engine never stores what the document refused.
   */
  readonly applyRemote: (updates: ReadonlyArray<Uint8Array>) => Promise<void> | void
  /** Calls `listener` with the update bytes of every local commit; returns unsubscribe. */
  readonly onLocalUpdate: (listener: (bytes: Uint8Array) => void) => () => void
  /**
   * A full snapshot of the document, for local compaction: it replaces the store's snapshot and
   * `entries`, the update-log entries the engine just read. The snapshot must hold every change
   * they hold: a host whose document may lack some (the web app's worker, where tabs append to
   * the store too) imports them first. The stored snapshot itself is always in the document.
   */
  readonly exportSnapshot: (entries: ReadonlyArray<Uint8Array>) => Promise<Uint8Array> | Uint8Array
  /** The document's version now (opaque bytes: Loro's encoded version vector), read synchronously. */
  readonly version: () => Uint8Array
  /**
   * One update holding every change of the document that `version` (from `version()`) lacks,
   * and every change of `entries` (as `exportSnapshot`): a squash of the local log replaces
   * those entries with it.
   */
  readonly exportSince: (version: Uint8Array, entries: ReadonlyArray<Uint8Array>) => Promise<Uint8Array> | Uint8Array
  /**
   * The store was rewritten (refused changes taken out, C14): drop the document and load it
   * again from `stored`. Local commits keep reaching `onLocalUpdate` listeners.
   */
  readonly reset: (stored: StoredDoc) => Promise<void> | void
}
