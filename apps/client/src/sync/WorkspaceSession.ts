import { docVersionStatus, migrateDoc } from "@vibestack/migrations"
import { canWrite, changedEntitiesOfEvents, MAIN_DOC, newId, type WorkspaceId } from "@vibestack/schema"
import type { WorkspaceMeta } from "@vibestack/shared"
import { LoroDoc } from "loro-crdt"
import { journalEntries, journalRemove, journalWrite } from "./CommitJournal.js"
import { type DocGate, gateDoc } from "./docGate.js"
import { EntityIndex, versionKey } from "./EntityIndex.js"
import type { TabSync } from "./TabSync.js"

const asError = (e: unknown): Error => (e instanceof Error ? e : new Error(String(e)))

/**
 * The open workspace in this tab: its LoroDoc (own random peer id, never persisted), the
 * entity index React reads, and the path of every local commit:
 *   commit → `subscribeLocalUpdates` bytes → Dexie outbox (durable) → BroadcastChannel
 * so other tabs and the leader's worker get it with or without a server. Remote bytes come
 * back over the channel (`RemoteUpdates` from the leader, `LocalCommit` from other tabs).
 */
export class WorkspaceSession {
  readonly doc = new LoroDoc()
  readonly index = new EntityIndex()
  private readonly listeners = new Set<() => void>()
  private readonly cleanups: Array<() => void> = []
  private chain: Promise<void> = Promise.resolve()
  private unsavedCount = 0
  private versionNo = 0
  private saveError: string | undefined
  private gate: DocGate = { _tag: "Writable" }
  private indexDirty = false
  private lastLocalCommit = 0
  private saveTimer: ReturnType<typeof setTimeout> | undefined
  /** The leader rebuilt the stored document: this copy only waits to be replaced. */
  private replaced = false

  private constructor(
    private readonly sync: TabSync,
    private currentMeta: WorkspaceMeta,
  ) {
    // History shows when each version was made; merge a burst of edits into one change, not a session.
    this.doc.setRecordTimestamp(true)
    this.doc.setChangeMergeInterval(10)
  }

  static async open(sync: TabSync, ws: WorkspaceId): Promise<WorkspaceSession | undefined> {
    const meta = await sync.store.getWorkspace(ws)
    if (meta === undefined) return undefined
    const s = new WorkspaceSession(sync, meta)
    // Listen before loading: whatever arrives meanwhile is imported after (imports are idempotent).
    const early: Array<Uint8Array> = []
    let loaded = false
    s.cleanups.push(
      sync.onMessage((m) => {
        // The leader rewrote the document (C14): this copy is replaced (useWorkspaceSession
        // opens a new session); a commit made on it now would build on what is gone.
        if (m._tag === "DocReset" && m.ws === ws && m.doc === MAIN_DOC) {
          s.replaced = true
          return s.bump()
        }
        if (m._tag !== "LocalCommit" && m._tag !== "RemoteUpdates") return
        if (m.ws !== ws || m.doc !== MAIN_DOC) return
        const blobs = m._tag === "LocalCommit" ? [m.bytes] : [...m.updates]
        if (loaded) s.importRemote(blobs)
        else early.push(...blobs)
      }),
    )
    await s.replayJournal()
    const [stored, cached] = await Promise.all([sync.store.loadDoc(ws, MAIN_DOC), sync.store.getIndexCache(ws)])
    const blobs = [...(stored.snapshot ? [stored.snapshot] : []), ...stored.updates.map((u) => u.bytes), ...early]
    if (blobs.length > 0) {
      try {
        s.doc.importBatch(blobs)
      } catch (e) {
        throw asError(e)
      }
    }
    loaded = true
    // Reading every entity out of a large document is the slow part of opening it: reuse the
    // index cached at exactly this version when there is one.
    const hit = cached !== undefined && cached.version === versionKey(s.doc.frontiers())
    if (hit) s.index.loadCache(cached)
    else s.index.loadAll(s.doc)
    s.saveIndexSoon(hit ? 30_000 : 2_000, !hit)
    s.cleanups.push(
      s.doc.subscribe((batch) => {
        s.index.apply(s.doc, changedEntitiesOfEvents(batch), batch.to)
        s.indexDirty = true
        s.bump()
      }),
    )
    const save = () => {
      if (document.visibilityState === "hidden" && s.indexDirty) s.saveIndex()
    }
    document.addEventListener("visibilitychange", save)
    addEventListener("pagehide", save)
    s.cleanups.push(() => {
      document.removeEventListener("visibilitychange", save)
      removeEventListener("pagehide", save)
    })
    s.cleanups.push(s.doc.subscribeLocalUpdates((bytes) => s.persist(bytes)))
    // Migrations run before the UI sees the document (their commit goes to the outbox).
    s.regate()
    return s
  }

  /** Commits a closed tab journaled but may not have written to the outbox (see CommitJournal). */
  private async replayJournal(): Promise<void> {
    const ws = this.meta.workspaceId
    for (const e of journalEntries(ws)) {
      const entry = await this.sync.store.appendLocal(ws, MAIN_DOC, {
        bytes: e.bytes,
        idempotencyKey: e.idempotencyKey,
        createdAt: e.at > 0 ? e.at : Date.now(),
      })
      this.sync.post({
        _tag: "LocalCommit",
        ws,
        doc: MAIN_DOC,
        id: entry.id,
        idempotencyKey: e.idempotencyKey,
        bytes: e.bytes,
        createdAt: entry.createdAt,
      })
      journalRemove(e.key)
    }
  }

  private regate(): void {
    const before = this.gate
    this.gate = gateDoc(this.doc, { canWrite: canWrite(this.meta.role) && this.meta.fatal === undefined })
    if (before._tag !== this.gate._tag) this.bump()
  }

  private importRemote(blobs: ReadonlyArray<Uint8Array>): void {
    try {
      this.doc.importBatch([...blobs])
    } catch {
      // Bytes another tab or the leader already stored and imported; a failure here means a
      // corrupt broadcast, and the next open rebuilds from Dexie.
    }
    // A newer (or older) device's data may have arrived.
    this.regate()
  }

  /**
   * Writes the index cache: soon after a full read, then every 30 s while it changes, and when
   * the page is hidden. Off the typing path: in an idle callback where there is one.
   */
  private saveIndexSoon(delayMs: number, force: boolean): void {
    if (this.saveTimer !== undefined) return
    this.saveTimer = setTimeout(() => {
      this.saveTimer = undefined
      const run = () => {
        // Never while someone is typing: copying a large index blocks the main thread.
        if (Date.now() - this.lastLocalCommit < 5_000) return this.saveIndexSoon(5_000, force)
        if (force || this.indexDirty) this.saveIndex()
        this.saveIndexSoon(30_000, false)
      }
      if (typeof requestIdleCallback === "function") requestIdleCallback(run, { timeout: 5_000 })
      else run()
    }, delayMs)
  }

  private saveIndex(): void {
    const row = this.index.toCache(this.meta.workspaceId)
    this.indexDirty = false
    if (row !== undefined) void this.sync.store.putIndexCache(row).catch(() => undefined)
  }

  /** Token, role and fatal state: they change while the board is open (registration, revocation). */
  get meta(): WorkspaceMeta {
    return this.currentMeta
  }

  /**
   * Re-reads the meta in place. The document stays open: reopening it would race commits
   * still on their way to IndexedDB (and a tab never hears its own broadcasts).
   */
  async refreshMeta(): Promise<void> {
    const meta = await this.sync.store.getWorkspace(this.currentMeta.workspaceId)
    if (meta === undefined) return
    this.currentMeta = meta
    this.regate()
    this.bump()
  }

  /** Why this tab must not write, beyond the role: a document from a newer app version, or a reload under way. */
  get readOnlyReason(): string | undefined {
    if (this.replaced) return "Reloading after a change the server refused…"
    return this.gate._tag === "TooNew" ? this.gate.message : undefined
  }

  /** Writes the commit to the outbox, in commit order, then tells everyone else. */
  private persist(bytes: Uint8Array): void {
    const createdAt = Date.now()
    this.lastLocalCommit = createdAt
    this.unsavedCount++
    this.bump()
    const ws = this.meta.workspaceId
    // Journaled synchronously, in the commit's own task: survives the tab closing right now.
    const idempotencyKey = newId<string>()
    const journalKey = journalWrite(ws, idempotencyKey, bytes)
    this.chain = this.chain.then(async () => {
      try {
        const entry = await this.sync.store.appendLocal(ws, MAIN_DOC, { bytes, idempotencyKey, createdAt })
        if (journalKey !== undefined) journalRemove(journalKey)
        this.sync.post({ _tag: "LocalCommit", ws, doc: MAIN_DOC, id: entry.id, idempotencyKey, bytes, createdAt })
      } catch (e) {
        this.saveError = `could not save locally: ${String(e)}`
      } finally {
        this.unsavedCount--
        this.bump()
      }
    })
  }

  /** One user action: mutate through the schema helpers, then one commit. */
  readonly change = (fn: (doc: LoroDoc) => void): void => {
    if (this.gate._tag === "TooNew") throw new Error(this.gate.message)
    if (this.replaced)
      throw new Error("The board is reloading after a change the server refused. Try again in a moment.")
    // A new workspace's first write stamps the layout version (the gate skips empty docs).
    if (docVersionStatus(this.doc) === "needs-migration") migrateDoc(this.doc)
    try {
      fn(this.doc)
    } finally {
      this.doc.commit()
    }
  }

  /** Resolves when every commit so far is in IndexedDB. */
  flush(): Promise<void> {
    return this.chain
  }

  get unsaved(): number {
    return this.unsavedCount
  }

  get error(): string | undefined {
    return this.saveError
  }

  private bump(): void {
    this.versionNo++
    for (const l of this.listeners) l()
  }

  readonly subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  /** A number that changes with every document change (the `useSyncExternalStore` snapshot). */
  readonly version = (): number => this.versionNo

  close(): void {
    if (this.saveTimer !== undefined) clearTimeout(this.saveTimer)
    if (this.indexDirty) this.saveIndex()
    for (const c of this.cleanups.splice(0)) c()
    this.listeners.clear()
  }
}
