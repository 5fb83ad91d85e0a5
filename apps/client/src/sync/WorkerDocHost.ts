import type { DocId, WorkspaceId } from "@vibestack/schema"
import {
  type DocHost,
  importBlobs,
  keepLoroHeadroom,
  type LocalStore,
  loadStoredDoc,
  type OutboxEntry,
  type StoredDoc,
  storedBlobs,
} from "@vibestack/shared"
import { LoroDoc, VersionVector } from "loro-crdt"

/**
 * The sync worker's replica of one document. Tabs own the documents people edit; the leader
 * keeps its own copy so it can check server bytes before storing them (`applyRemote` rejects
 * what does not import) and export snapshots for compaction without asking any tab.
 *
 * Tabs write their commits to the Dexie outbox themselves (durable before they count, and
 * nothing is lost when the leader tab closes mid-flight). The engine, though, learns of a
 * commit through `onLocalUpdate` and records it with `store.appendLocal`; `tabCommitStore`
 * below turns that second append into a lookup of the entry the tab already wrote.
 */
export class WorkerDocHost implements DocHost {
  private readonly listeners = new Set<(bytes: Uint8Array) => void>()

  constructor(
    private current: LoroDoc,
    private readonly store: LocalStore,
    private readonly ws: WorkspaceId,
    private readonly docId: DocId,
  ) {}

  /** The replica, and what the store held (the engine starts from it without reading it again). */
  static async load(
    store: LocalStore,
    ws: WorkspaceId,
    docId: DocId,
  ): Promise<{ readonly host: WorkerDocHost; readonly stored: StoredDoc }> {
    const host = new WorkerDocHost(new LoroDoc(), store, ws, docId)
    return { host, stored: await host.importStored() }
  }

  get doc(): LoroDoc {
    return this.current
  }

  /** Imports whatever the store holds (and returns it); Loro ignores what the document already has. */
  private async importStored(): Promise<StoredDoc> {
    const stored = await this.store.loadDoc(this.ws, this.docId)
    this.importInto(this.current, stored)
    return stored
  }

  private importInto(doc: LoroDoc, stored: StoredDoc): void {
    importBlobs(doc, storedBlobs(stored))
  }

  /** The store was rewritten (C14): a new replica from it, as every tab does on `DocReset`. */
  readonly reset = (stored: StoredDoc): void => {
    const doc = loadStoredDoc(stored)
    const old = this.current
    this.current = doc
    old.free()
  }

  /** A tab's commit (already in the outbox): import it and tell the engine. */
  acceptTabCommit(bytes: Uint8Array): void {
    try {
      this.current.import(bytes)
    } catch {
      // The tab's own document produced it, so this cannot happen short of a Loro bug; the
      // engine still pushes it from the outbox and the server decides.
    }
    keepLoroHeadroom()
    for (const l of this.listeners) l(bytes)
  }

  readonly applyRemote = (updates: ReadonlyArray<Uint8Array>): void => importBlobs(this.current, updates)

  readonly onLocalUpdate = (listener: (bytes: Uint8Array) => void): (() => void) => {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  /**
   * The engine compacts the log up to the last entry it just read; a tab may have written one
   * of `entries` without its broadcast having arrived yet, so they are imported first (Loro
   * skips what the document has) and the snapshot covers everything it replaces. The stored
   * snapshot needs no import: this replica loaded it or exported it, or a reset loaded it.
   */
  readonly exportSnapshot = (entries: ReadonlyArray<Uint8Array>): Uint8Array => {
    importBlobs(this.current, entries)
    return this.current.export({ mode: "snapshot" })
  }

  readonly version = (): Uint8Array => this.current.oplogVersion().encode()

  /** As `exportSnapshot`: `entries` first, so the update covers every entry it replaces. */
  readonly exportSince = (version: Uint8Array, entries: ReadonlyArray<Uint8Array>): Uint8Array => {
    importBlobs(this.current, entries)
    return this.current.export({ mode: "update", from: VersionVector.decode(version) })
  }
}

/**
 * Wraps the store for the engine: `appendLocal` of bytes a tab already persisted returns that
 * tab's entry instead of writing a duplicate. Keyed by the very `Uint8Array` object that
 * `acceptTabCommit` hands the engine, so nothing else can match.
 */
export const tabCommitStore = (
  store: LocalStore,
): { readonly store: LocalStore; readonly remember: (bytes: Uint8Array, entry: OutboxEntry) => void } => {
  const known = new WeakMap<Uint8Array, OutboxEntry>()
  return {
    remember: (bytes, entry) => known.set(bytes, entry),
    store: {
      ...store,
      appendLocal: (ws, doc, input) => {
        const entry = known.get(input.bytes)
        return entry !== undefined ? Promise.resolve(entry) : store.appendLocal(ws, doc, input)
      },
    },
  }
}
