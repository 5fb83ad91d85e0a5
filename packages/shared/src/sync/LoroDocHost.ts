import { LoroDoc, VersionVector } from "loro-crdt"
import type { DocHost } from "./DocHost.js"
import type { StoredDoc } from "./LocalStore.js"
import { keepLoroHeadroom, roomForImport } from "./loroMemory.js"

/**
 * From this many blobs on they import in one `importBatch`; fewer import one at a time. A batch
 * costs more per call than it saves on a few blobs, and more the larger the document: live edits
 * from four devices into a workspace of 2,000 tasks took 0.45 ms per blob in batches of one
 * against 0.08 ms imported alone (loro-crdt 1.17.1, `bench/engine-writers.ts`); at 100 blobs
 * the two are even, at 1,000 the batch takes half the time (a page of catch-up).
 */
export const BATCH_IMPORT_FROM = 100

/**
 * Imports blobs into `doc` (a replica's `applyRemote`), in order. Loro throws plain strings;
 * they become Errors with the text kept.
 */
export const importBlobs = (doc: LoroDoc, blobs: ReadonlyArray<Uint8Array>): void => {
  if (blobs.length === 0) return
  roomForImport(blobs)
  try {
    if (blobs.length >= BATCH_IMPORT_FROM) doc.importBatch([...blobs])
    else for (const blob of blobs) doc.import(blob)
  } catch (e) {
    throw e instanceof Error ? e : new Error(String(e))
  } finally {
    keepLoroHeadroom()
  }
}

/** What a store kept of a document, as blobs to import in order: its snapshot, then its log. */
export const storedBlobs = (stored: StoredDoc): Array<Uint8Array> => [
  ...(stored.snapshot ? [stored.snapshot] : []),
  ...stored.updates.map((u) => u.bytes),
]

/**
 * A fresh document (its own random peer id) rebuilt from what the store kept. One blob at a
 * time: one unreadable entry must not make the whole document unloadable (the server copy
 * still has everything acknowledged), and `importBatch` is superlinear when the log holds a
 * large paste (see `loadOrigin` in replay.ts).
 */
export const loadStoredDoc = (stored: StoredDoc): LoroDoc => {
  const doc = new LoroDoc()
  const blobs = storedBlobs(stored)
  roomForImport(blobs)
  for (const b of blobs) {
    try {
      doc.import(b)
    } catch {}
  }
  keepLoroHeadroom()
  return doc
}

/**
 * `DocHost` over a LoroDoc in the same thread (headless clients, tests). After a `reset` the
 * document is a new object: read `doc` again. Commits made on an earlier object are still
 * recorded (they reach the outbox and are rebased like any other), so none is lost.
 */
export class LoroDocHost implements DocHost {
  private readonly listeners = new Set<(bytes: Uint8Array) => void>()
  private readonly resetListeners = new Set<(doc: LoroDoc) => void>()

  constructor(private current: LoroDoc) {
    this.watch(current)
  }

  static fromStored(stored: StoredDoc): LoroDocHost {
    return new LoroDocHost(loadStoredDoc(stored))
  }

  get doc(): LoroDoc {
    return this.current
  }

  private watch(doc: LoroDoc): void {
    doc.subscribeLocalUpdates((bytes) => {
      for (const l of this.listeners) l(bytes)
    })
  }

  readonly applyRemote = (updates: ReadonlyArray<Uint8Array>): void => importBlobs(this.current, updates)

  readonly onLocalUpdate = (listener: (bytes: Uint8Array) => void): (() => void) => {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  // Only this engine writes an in-process host's store, and it stores what the document already
  // holds (commits it made, updates it imported): the entries need no import.
  readonly exportSnapshot = (): Uint8Array => this.current.export({ mode: "snapshot" })

  readonly version = (): Uint8Array => this.current.oplogVersion().encode()

  readonly exportSince = (version: Uint8Array): Uint8Array =>
    this.current.export({ mode: "update", from: VersionVector.decode(version) })

  readonly reset = (stored: StoredDoc): void => {
    this.current = loadStoredDoc(stored)
    this.watch(this.current)
    for (const l of this.resetListeners) l(this.current)
  }

  /** Called with the new document after every reset. */
  onReset(listener: (doc: LoroDoc) => void): () => void {
    this.resetListeners.add(listener)
    return () => this.resetListeners.delete(listener)
  }
}
