/**
 * How the engine reaches the live document. The engine works with bytes only: in the
 * browser the LoroDoc lives on the main thread and the engine in a worker, so the host
 * there forwards bytes across `postMessage`; `LoroDocHost` is the in-process one.
 */
export interface DocHost {
  /**
   * Imports updates (or a snapshot) from the server into the live document. Rejects when
   * the bytes do not import, so the engine never stores what the document refused.
   */
  readonly applyRemote: (updates: ReadonlyArray<Uint8Array>) => Promise<void> | void
  /** Calls `listener` with the update bytes of every local commit; returns unsubscribe. */
  readonly onLocalUpdate: (listener: (bytes: Uint8Array) => void) => () => void
  /** A full snapshot of the document, for local compaction. */
  readonly exportSnapshot: () => Promise<Uint8Array> | Uint8Array
}
