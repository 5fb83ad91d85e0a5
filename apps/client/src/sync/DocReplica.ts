import { docVersionStatus, migrateDoc } from "@vibestack/migrations"
import {
  ChangedEntities,
  COLLECTIONS,
  type Collection,
  changedEntitiesBetween,
  collectionMap,
  MAIN_DOC,
  newId,
  readEntities,
  type WorkspaceId,
} from "@vibestack/schema"
import { importBlobs, keepLoroHeadroom, OwnCommits, storedBlobs } from "@vibestack/shared"
import { type Frontiers, LoroDoc } from "loro-crdt"
import type { DexieLocalStore } from "../db/DexieLocalStore.js"
import type { EntityChange, EntityMarkRow } from "../db/EntityRows.js"
import { listVersions, viewAt } from "../history/versions.js"
import { setAuthor, stampAuthor } from "../people/authorship.js"
import { UndoHistory } from "../ui/UndoHistory.js"
import { describeWriteError } from "../ui/write.js"
import { applyIntent } from "./applyIntent.js"
import { type DocGate, gateDoc } from "./docGate.js"
import type { DocState, DocToPage, EntityGone, EntityPut, PageToDoc, RowsMark } from "./docMessages.js"
import { type Intent, patchOf } from "./intents.js"
import type { ChannelMessage } from "./messages.js"
import { ProjectEnds } from "./ProjectEnds.js"
import { TaskComments } from "./TaskComments.js"

/** More entities than this in one batch go to the page as "read IndexedDB again" (a bulk import). */
const SEND_LIMIT = 500
/** Rows per transaction when (re)filling a workspace's entity rows from the document. */
const FILL_CHUNK = 2_000
/**
 * A collection's first part is smaller: the page reads its windows after each part, and the
 * board's first rows wait for one part to be read from the document and written (about
 * 0.1 ms a task each in a new device's worker: 2,000 tasks first took ~250 ms).
 */
const FIRST_CHUNK = 500

export interface ReplicaDeps {
  readonly store: DexieLocalStore
  readonly post: (m: ChannelMessage) => void
  readonly listen: (listener: (m: ChannelMessage) => void) => () => void
  readonly emit: (m: DocToPage) => void
  /** After every change to the document (presence re-reads others' carets). */
  readonly onDocChange?: () => void
}

/**
 * One tab's copy of a workspace document, living in that tab's document worker (what the tab
 * itself used to hold). It imports the stored document, takes the page's intents (queued until
 * the document is in), commits them through the schema helpers, persists every commit to the
 * Dexie outbox and broadcasts it, imports what other tabs and the sync leader broadcast, and
 * keeps the entity rows in IndexedDB in step (SPEC C18): the page draws from those rows and
 * from the entity changes sent here, never from the document.
 */
export class DocReplica {
  private readonly doc = new LoroDoc()
  /** This tab's latest commits, so their echo from the server is not imported again. */
  private readonly own = new OwnCommits()
  /** Each project's last task and each task's comments: writes that would read every task or comment. */
  private readonly ends = new ProjectEnds()
  private readonly comments = new TaskComments()
  private readonly cleanups: Array<() => void> = []
  private readonly queued: Array<Extract<PageToDoc, { _tag: "Write" }>> = []
  /** The stored document is imported: broadcasts import at once from now on. */
  private imported = false
  /** Imported and the entity rows caught up: intents run from now on. */
  private loaded = false
  private canWrite = false
  private gate: DocGate = { _tag: "Writable" }
  private replaced = false
  private unsaved = 0
  private stored = 0
  private saveError: string | undefined
  private applied = 0
  private chain: Promise<void> = Promise.resolve()
  /** Made at the first write (`undoHistory`). */
  private undo: UndoHistory | undefined
  /**
   * The version whose entity changes the page and the rows have: each import and local
   * commit reads what changed since from the ops (`changedEntitiesBetween`). Not Loro's
   * events: once a document has any subscriber (an event listener, an UndoManager), Loro
   * builds every import's whole diff, even after unsubscribing: 0.6-0.9 s for a new
   * device's 10,000-task snapshot, which imports in 15 ms into a document that never had one.
   */
  private seen: Frontiers = []
  /** Row changes not yet written (keyed `c/id`, last one wins). */
  private pendingRows = new Map<string, EntityChange>()
  private rowTimer: ReturnType<typeof setTimeout> | undefined
  private lastState = ""
  /** Bulk row updates under way (`bulk`): they write the queued rows and the mark when done. */
  private bulkRunning = 0
  /** `Changes` messages sent so far (`Rows.upTo` says which of them IndexedDB has). */
  private changesSent = 0
  private bulkChain: Promise<void> = Promise.resolve()
  /** The key of the intent being committed (its outbox entry records it). */
  private running: string | undefined

  constructor(
    private readonly ws: WorkspaceId,
    private readonly deps: ReplicaDeps,
  ) {
    // History shows when each version was made; merge a burst of edits into one change.
    this.doc.setRecordTimestamp(true)
    this.doc.setChangeMergeInterval(10)
  }

  async open(
    canWrite: boolean,
    replay: ReadonlyArray<{ readonly key: string; readonly intent: Intent }> = [],
    since: RowsMark | undefined = undefined,
  ): Promise<void> {
    this.canWrite = canWrite
    const early: Array<Uint8Array> = []
    /** Snapshots the leader sent as they arrived (by seq), and whether one was stored unheard. */
    const heard = new Set<number>()
    let missed = false
    this.cleanups.push(
      this.deps.listen((m) => {
        if (!("doc" in m) || m.ws !== this.ws || m.doc !== MAIN_DOC) return
        if (m._tag === "DocReset") {
          this.replaced = true
          return this.sendState()
        }
        // A snapshot stored that this replica never heard: it started listening after the copy
        // went out and may have read IndexedDB before the write. It reads the store again.
        if (m._tag === "SnapshotStored") {
          if (heard.has(m.cursor)) return
          if (this.loaded) void this.importStoredAgain()
          else missed = true
          return
        }
        if (m._tag !== "LocalCommit" && m._tag !== "RemoteUpdates") return
        if (m._tag === "RemoteUpdates" && m.snapshot !== undefined) heard.add(m.snapshot)
        // The leader sends this tab's own commits back once the server stored them: not imported again.
        const blobs =
          m._tag === "LocalCommit" ? [m.bytes] : m.snapshot === undefined ? this.own.foreign(m.updates) : [...m.updates]
        if (this.imported) this.importRemote(blobs)
        else early.push(...blobs)
      }),
    )
    const [stored, mark] = await Promise.all([
      this.deps.store.loadDoc(this.ws, MAIN_DOC),
      this.deps.store.entities.mark(this.ws),
    ])
    // Read after the document: every commit it holds has its intent's key recorded by now.
    const done = await this.deps.store.intentsStored(replay.map((r) => r.key))
    const blobs = [...storedBlobs(stored), ...early]
    importBlobs(this.doc, blobs)
    this.imported = true
    this.seen = this.doc.frontiers()
    this.cleanups.push(
      this.doc.subscribeLocalUpdates((bytes) => {
        this.persist(bytes)
        this.noteChanges()
      }),
    )
    // Migrations run before anything reads the document (their commit goes to the outbox).
    this.regate()
    // A page that drew from older rows than `mark` gets its own, larger catch-up (catchUpPage).
    const pageBehind = since !== undefined && !sameMark(since, mark) && this.contains(since)
    await this.catchUpRows(mark, !pageBehind)
    this.catchUpPage(since, mark)
    // From here to the end, nothing awaits: a write arriving in between would run before the
    // queued ones it may build on (a task placed after one still queued was refused).
    this.loaded = true
    this.sendState()
    // A closed tab's journaled intents first (they came before anything this tab sends).
    for (const r of replay)
      if (done.has(r.key)) this.deps.emit({ _tag: "Stored", key: r.key })
      else this.write({ _tag: "Write", seq: 0, key: r.key, intent: r.intent, tag: undefined })
    for (const w of this.queued.splice(0)) this.write(w)
    if (missed) void this.importStoredAgain()
  }

  /** Imports what IndexedDB holds now (Loro skips what the document has). */
  private async importStoredAgain(): Promise<void> {
    this.importRemote(storedBlobs(await this.deps.store.loadDoc(this.ws, MAIN_DOC)))
  }

  /**
   * Brings the entity rows from `mark` to the document's version: the changed entities, or all
   * of them; and tells the page of the changed ones unless `catchUpPage` sends it more.
   */
  private async catchUpRows(mark: EntityMarkRow["frontiers"] | undefined, toPage: boolean): Promise<void> {
    if (mark !== undefined && this.contains(mark)) {
      const changed = changedEntitiesBetween(this.doc, mark as Frontiers, this.doc.frontiers())
      if (changed.size === 0) return
      if (changed.size > SEND_LIMIT) return this.bulk(changed, false)
      const { puts, gone } = this.read(changed)
      await this.deps.store.entities.write(this.ws, toRowChanges(puts, gone), frontiersRow(this.doc.frontiers()))
      if (toPage) this.send(puts, gone)
      return
    }
    // No rows yet (a new device), or rows of a document since rewritten: fill from scratch.
    await this.bulk(this.everyEntity(), true)
  }

  /**
   * The page drew from rows at least as new as `since`, read before this worker started; other
   * tabs may have written rows (at `mark`) in between, which `catchUpRows` finds already
   * written. So the page gets every entity changed since its own read, deletions included.
   */
  private catchUpPage(since: RowsMark | undefined, mark: RowsMark | undefined): void {
    if (sameMark(since, mark)) return
    if (since === undefined || !this.contains(since)) {
      // The page had no rows, or rows of a rewritten document: it reads them again.
      this.deps.emit({ _tag: "Reload", applied: this.applied, gone: [] })
      return
    }
    const changed = changedEntitiesBetween(this.doc, since as Frontiers, this.doc.frontiers())
    if (changed.size === 0) return
    const { puts, gone } = this.read(changed)
    if (changed.size > SEND_LIMIT) {
      this.deps.emit({ _tag: "Reload", applied: this.applied, gone })
      return
    }
    this.send(puts, gone)
    // Their rows are in IndexedDB already (written by `catchUpRows` or by the tab that made them).
    this.deps.emit({ _tag: "Rows", upTo: this.changesSent })
  }

  /**
   * Many entities at once (a fill, a large import): read and written in parts, projects and
   * members first, the page told after each collection to read its windows again, so the
   * board shows the first rows long before the last. The mark moves only with the last part,
   * which also takes every row change queued meanwhile (so the mark covers nothing unwritten).
   */
  private bulk(ids: ChangedEntities, replace: boolean): Promise<void> {
    // Counted from now: row flushes wait for it. One bulk at a time (each moves the mark last).
    this.bulkRunning++
    this.sendState()
    const run = this.bulkChain
      .then(() => this.runBulk(ids, replace))
      .finally(() => {
        this.bulkRunning--
        this.sendState()
      })
    this.bulkChain = run.catch(() => undefined)
    return run
  }

  private async runBulk(ids: ChangedEntities, replace: boolean) {
    const parts: Array<[Collection, ReadonlyArray<string>]> = []
    for (const c of ["projects", "members", "tasks", "comments"] as const) {
      const all = [...ids.ids(c)]
      const first = Math.min(FIRST_CHUNK, all.length)
      if (first > 0) parts.push([c, all.slice(0, first)])
      for (let i = first; i < all.length; i += FILL_CHUNK) parts.push([c, all.slice(i, i + FILL_CHUNK)])
    }
    for (const [i, [c, part]] of parts.entries()) {
      const changes: Array<EntityChange> = []
      const gone: Array<EntityGone> = []
      for (const [id, r] of readEntities(this.doc, c, part))
        if (r._tag === "Found") changes.push({ _tag: "Put", c, entity: r.entity })
        else {
          changes.push({ _tag: "Delete", c, id })
          gone.push({ c, id })
        }
      // Rows just wiped reflect no version until the last part; otherwise the old mark stands.
      await this.deps.store.entities.write(this.ws, changes, replace ? undefined : "keep", replace && i === 0)
      this.deps.emit({ _tag: "Reload", applied: this.applied, gone })
    }
    const queued = [...this.pendingRows.values()]
    this.pendingRows = new Map()
    const upTo = this.changesSent
    const wipe = replace && parts.length === 0
    await this.deps.store.entities.write(this.ws, queued, frontiersRow(this.doc.frontiers()), wipe)
    this.deps.emit({ _tag: "Rows", upTo })
    const gone = queued.flatMap((q) => (q._tag === "Delete" ? [{ c: q.c, id: q.id }] : []))
    this.deps.emit({ _tag: "Reload", applied: this.applied, gone })
  }

  /** Every entity of the document (a fill, or a first import into an empty one). */
  private everyEntity(): ChangedEntities {
    const all = new ChangedEntities()
    for (const c of COLLECTIONS)
      all.add(
        collectionMap(this.doc, c)
          .keys()
          .map((id) => ({ collection: c, id })),
      )
    return all
  }

  private contains(f: EntityMarkRow["frontiers"]): boolean {
    const vv = this.doc.oplogVersion()
    return f.every((x) => (vv.get(x.peer) ?? 0) > x.counter)
  }

  private read(changed: ChangedEntities): { puts: Array<EntityPut>; gone: Array<EntityGone> } {
    const puts: Array<EntityPut> = []
    const gone: Array<EntityGone> = []
    for (const c of COLLECTIONS)
      for (const [id, r] of readEntities(this.doc, c, changed.ids(c)))
        if (r._tag === "Found") puts.push({ c, entity: r.entity })
        else gone.push({ c, id })
    return { puts, gone }
  }

  /** Tells the page and the rows what changed since `seen` (after an import or a local commit). */
  private noteChanges(): void {
    const now = this.doc.frontiers()
    if (sameMark(now, this.seen)) return
    const from = this.seen
    this.seen = now
    // From nothing (a new device's first import): every entity, without reading all history's ops.
    this.changed(from.length === 0 ? this.everyEntity() : changedEntitiesBetween(this.doc, from, now))
  }

  private changed(changed: ChangedEntities) {
    this.deps.onDocChange?.()
    if (changed.size === 0) return
    if (changed.size > SEND_LIMIT) {
      // A large import: rows in parts, then the page reads its windows again.
      this.ends.forget()
      this.comments.forget()
      void this.bulk(changed, false)
      return this.sendState()
    }
    const { puts, gone } = this.read(changed)
    this.ends.note(puts, gone)
    this.comments.note(puts, gone)
    for (const ch of toRowChanges(puts, gone))
      this.pendingRows.set(`${ch.c}/${ch._tag === "Put" ? ch.entity.id : ch.id}`, ch)
    this.send(puts, gone)
    this.rowTimer ??= setTimeout(() => void this.flushRows(), 300)
    this.sendState()
  }

  private send(puts: ReadonlyArray<EntityPut>, gone: ReadonlyArray<EntityGone>): void {
    this.changesSent++
    this.deps.emit({ _tag: "Changes", puts, gone, applied: this.applied })
  }

  /** Writes pending row changes with the version they reach (all changes so far are in them). */
  private flushRows(): Promise<void> {
    if (this.rowTimer !== undefined) clearTimeout(this.rowTimer)
    this.rowTimer = undefined
    // A bulk update in progress writes the queued rows with its last part.
    if (this.pendingRows.size === 0 || this.bulkRunning > 0) return Promise.resolve()
    const changes = [...this.pendingRows.values()]
    this.pendingRows = new Map()
    const at = frontiersRow(this.doc.frontiers())
    const upTo = this.changesSent
    return this.deps.store.entities.write(this.ws, changes, at).then(
      () => this.deps.emit({ _tag: "Rows", upTo }),
      () => undefined,
    )
  }

  private regate(): void {
    this.gate = gateDoc(this.doc, { canWrite: this.canWrite })
  }

  /**
   * The undo history, made before the first step it records. Not earlier: its UndoManager
   * subscribes to the document, and a new device's snapshot arrives before anything is typed.
   */
  private undoHistory(): UndoHistory | undefined {
    if (this.undo === undefined && this.canWrite && this.gate._tag === "Writable") this.undo = new UndoHistory(this.doc)
    return this.undo
  }

  private importRemote(blobs: ReadonlyArray<Uint8Array>): void {
    try {
      importBlobs(this.doc, blobs)
    } catch {
      // Bytes another tab or the leader already stored; a corrupt broadcast is rebuilt from Dexie on the next open.
    }
    this.noteChanges()
    this.regate()
    this.sendState()
  }

  /** Writes the commit to the outbox, in commit order, then tells every other tab and the leader. */
  private persist(bytes: Uint8Array): void {
    this.own.add(bytes)
    const intentKey = this.running
    const createdAt = Date.now()
    this.unsaved++
    const idempotencyKey = newId<string>()
    this.chain = this.chain.then(async () => {
      try {
        const input = { bytes, idempotencyKey, createdAt }
        const entry =
          intentKey === undefined
            ? await this.deps.store.appendLocal(this.ws, MAIN_DOC, input)
            : await this.deps.store.appendLocalIntent(this.ws, MAIN_DOC, input, intentKey)
        this.deps.post({
          _tag: "LocalCommit",
          ws: this.ws,
          doc: MAIN_DOC,
          id: entry.id,
          idempotencyKey,
          bytes,
          createdAt,
        })
        this.stored++
        // The rows of one's own edits are written with them: a reload right after shows them.
        await this.flushRows()
      } catch (e) {
        this.saveError = `could not save locally: ${String(e)}`
      } finally {
        this.unsaved--
        this.sendState()
      }
    })
  }

  private readOnlyReason(): string | undefined {
    if (this.replaced) return "Reloading after a change the server refused…"
    return this.gate._tag === "TooNew" ? this.gate.message : undefined
  }

  /** One user action: the intent's helper, then one commit (a refused one commits nothing). */
  private write(w: Extract<PageToDoc, { _tag: "Write" }>) {
    if (!this.loaded) return void this.queued.push(w)
    // The role is the server's to enforce: a viewer's forced edit is refused there and listed (U3).
    const refuse = this.readOnlyReason()
    try {
      if (refuse !== undefined) throw new Error(refuse)
      // A new workspace's first write stamps the layout version (the gate skips empty docs).
      if (docVersionStatus(this.doc) === "needs-migration") migrateDoc(this.doc)
      const run = () => {
        // The commit's local update is persisted under this intent's key (read synchronously in `persist`).
        this.running = w.key
        try {
          // The commit names its author (history shows people, not devices).
          stampAuthor(this.doc)
          applyIntent(this.doc, this.indexed(w.intent))
        } finally {
          this.doc.commit()
          this.running = undefined
        }
      }
      const undo = this.undoHistory()
      if (w.tag !== undefined && undo !== undefined) undo.tagged(w.tag, run)
      else run()
      keepLoroHeadroom()
    } catch (e) {
      this.deps.emit({ _tag: "WriteFailed", seq: w.seq, message: refuse ?? describeWriteError(e) })
      // The page showed the write's fields at once and drops them now: it gets the entity as
      // the document has it, so a refused edit never stays on screen as if saved.
      const p = patchOf(w.intent)
      if (p !== undefined) {
        const entity = new ChangedEntities()
        entity.add([{ collection: p.collection, id: p.id }])
        const { puts, gone } = this.read(entity)
        this.send(puts, gone)
      }
    }
    if (w.seq > 0) this.applied = w.seq
    // After its commit's outbox write (or at once if it made none): the page forgets its journal entry.
    this.chain = this.chain.then(() => this.deps.emit({ _tag: "Stored", key: w.key }))
    // After the commit's entity changes went out (in `noteChanges`), so the page has the entity first.
    queueMicrotask(() => this.deps.emit({ _tag: "Applied", seq: w.seq }))
  }

  /**
   * The intent with what the worker's indexes know filled in, where its helper would otherwise
   * read a whole collection: a task added with no neighbour goes after its project's last task,
   * and a deleted task's comments are named.
   */
  private indexed(i: Intent): Intent {
    if (i.op === "createTask" && i.args[0].position === undefined) {
      // A project without tasks: no neighbours at all (what the helper's own read would find).
      const after = this.ends.lastTask(this.doc, i.args[0].projectId) ?? null
      return { op: i.op, args: [{ ...i.args[0], position: { after, before: null } }, ...i.args.slice(1)] } as Intent
    }
    if (i.op === "deleteTask" && i.args[1] === undefined)
      return { op: i.op, args: [i.args[0], { comments: this.comments.of(this.doc, i.args[0]) }] }
    return i
  }

  /** Everything the page sends. */
  handle(m: PageToDoc) {
    switch (m._tag) {
      case "Write":
        return this.write(m)
      case "Meta":
        this.canWrite = m.canWrite
        if (this.loaded) this.regate()
        return this.sendState()
      case "Undo":
        this.undo?.undo()
        return this.sendState()
      case "Redo":
        this.undo?.redo()
        return this.sendState()
      case "UndoTagged":
        this.undo?.undoTagged(m.tag)
        return this.sendState()
      case "TypingStart":
        return this.undoHistory()?.typingStart()
      case "TypingEnd":
        this.undo?.typingEnd()
        return this.sendState()
      case "Ask":
        return this.answer(m)
      case "Author":
        return setAuthor(this.doc, m.memberId)
      case "Open":
      case "Close":
      case "PresenceAuth":
      case "PresenceSet":
        return
    }
  }

  private answer(m: Extract<PageToDoc, { _tag: "Ask" }>) {
    const q = m.question
    if (q._tag === "Versions")
      return this.deps.emit({ _tag: "Answer", id: m.id, value: { _tag: "Versions", versions: listVersions(this.doc) } })
    let view: ReturnType<typeof viewAt> | undefined
    try {
      view = viewAt(this.doc, q.frontiers)
    } catch (e) {
      console.warn("history view failed", e)
    }
    this.deps.emit({ _tag: "Answer", id: m.id, value: { _tag: "View", view } })
  }

  private sendState(): void {
    const state: DocState = {
      loaded: this.loaded,
      filling: this.bulkRunning > 0,
      unsaved: this.unsaved,
      stored: this.stored,
      saveError: this.saveError,
      readOnlyReason: this.readOnlyReason(),
      canUndo: this.undo?.canUndo ?? false,
      canRedo: this.undo?.canRedo ?? false,
      topUndoTag: this.undo?.topTag,
    }
    const key = JSON.stringify(state)
    if (key === this.lastState) return
    this.lastState = key
    this.deps.emit({ _tag: "State", state })
  }

  /** The document once imported (presence reads carets in it), never for writing. */
  get current(): LoroDoc | undefined {
    return this.imported ? this.doc : undefined
  }

  /** Resolves when every commit so far is in the outbox and the rows are written. */
  async flush(): Promise<void> {
    await this.chain
    await this.bulkChain
    await this.flushRows()
  }

  async close(): Promise<void> {
    for (const c of this.cleanups.splice(0)) c()
    await this.flush()
    this.undo?.free()
    this.doc.free()
  }
}

const toRowChanges = (puts: ReadonlyArray<EntityPut>, gone: ReadonlyArray<EntityGone>): Array<EntityChange> => [
  ...puts.map((p): EntityChange => ({ _tag: "Put", c: p.c, entity: p.entity })),
  ...gone.map((g): EntityChange => ({ _tag: "Delete", c: g.c, id: g.id })),
]

const sameMark = (a: RowsMark | undefined, b: RowsMark | undefined): boolean =>
  a === b ||
  (a !== undefined &&
    b !== undefined &&
    a.length === b.length &&
    a.every((x, i) => x.peer === b[i]!.peer && x.counter === b[i]!.counter))

const frontiersRow = (f: Frontiers): EntityMarkRow["frontiers"] => f.map((x) => ({ peer: x.peer, counter: x.counter }))
