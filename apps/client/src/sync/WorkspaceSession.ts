import { type Collection, canWrite, type EntityOf, MAIN_DOC, newId, type WorkspaceId } from "@vibestack/schema"
import type { WorkspaceMeta } from "@vibestack/shared"
import type { DocVersionPoint } from "../history/versions.js"
import { afterPaintPort } from "./afterPaint.js"
import { journalEntries, journalRemove } from "./CommitJournal.js"
import type { Answer, DocState, DocToPage, PageToDoc, PresenceShown, Question } from "./docMessages.js"
import { EntityIndex } from "./EntityIndex.js"
import { forgetIntent, journaledIntents, journalIntent } from "./IntentJournal.js"
import { type Intent, patchOf } from "./intents.js"
import { RemoteUndo } from "./RemoteUndo.js"
import type { TabSync } from "./TabSync.js"

/** Tasks per project read at open; more on request (`loadMore`). */
export const TASK_WINDOW = 100

export interface DocPort {
  postMessage(m: PageToDoc): void
  onmessage: ((e: MessageEvent<DocToPage>) => void) | null
  terminate(): void
}

const newDocWorker = (): DocPort =>
  new Worker(new URL("./doc.worker.ts", import.meta.url), { type: "module", name: "vibestack-doc" }) as DocPort

let spareDocWorker: DocPort | undefined

/**
 * Starts the document worker for a workspace about to open (a share link being joined): it loads
 * its bundle and compiles Loro, ~0.2-0.3 s on a new device, while the join is stored, instead of
 * after the board mounts. It waits for `Open`; the next session takes it.
 */
export const startDocWorkerEarly = (): void => {
  spareDocWorker ??= newDocWorker()
}

const docWorker = (): DocPort => {
  const w = spareDocWorker ?? newDocWorker()
  spareDocWorker = undefined
  return w
}

const key = (c: Collection, id: string) => `${c}/${id}`

/** Fields shown only by the field that edits them (the task panel's description). */
const EDITOR_SHOWN: ReadonlySet<string> = new Set(["description"])

/** Entity fields the page shows nowhere: a change of these alone needs no render. */
const UNSHOWN: ReadonlySet<string> = new Set(["updatedAt"])

/** `next` shows as `shown` does: the same fields with the same values, but for `UNSHOWN` ones (entities are flat records). */
const shownAlready = (shown: object | undefined, next: object): boolean => {
  if (shown === undefined) return false
  const x = shown as Record<string, unknown>
  const y = next as Record<string, unknown>
  const keys = Object.keys(y)
  return keys.length === Object.keys(x).length && keys.every((k) => UNSHOWN.has(k) || (k in x && Object.is(x[k], y[k])))
}

/** What the status bar shows of the worker's state (`subscribeSaves`); the rest is the board's. */
const SAVE_FIELDS: ReadonlySet<keyof DocState> = new Set(["unsaved", "stored", "saveError"])

/**
 * The open workspace in this tab. The LoroDoc is not here: it lives in this tab's document
 * worker (`doc.worker.ts`, `DocReplica`), so opening or syncing a large workspace never blocks
 * the page. The page draws from entity rows in IndexedDB (read at once, before the document is
 * imported: the last known board in a frame or two) and from the entity changes the worker
 * sends; a user action goes to the worker as an intent (`write`). An edit is shown at once
 * (fields of the entity it patches) and confirmed or reverted when the worker has run it.
 */
export class WorkspaceSession {
  readonly index = new EntityIndex()
  readonly undo: RemoteUndo
  private readonly listeners = new Set<(urgent: boolean) => void>()
  private readonly failureListeners = new Set<(message: string) => void>()
  private readonly asks = new Map<number, (a: Answer) => void>()
  /** Fields written on the page and not yet confirmed by the worker, by entity. */
  private readonly patches = new Map<string, { readonly seq: number; readonly fields: object }>()
  private readonly counts = new Map<string, number>()
  /** Projects with more tasks than their window: only these hold fewer tasks than they have. */
  private readonly partial = new Set<string>()
  private readonly windows = new Map<string, number>()
  private readonly loadedComments = new Set<string>()
  /** `Changes` received, and which entity each last changed, until IndexedDB has their rows (`Rows`). */
  private changesSeen = 0
  private readonly unflushed = new Map<
    string,
    { readonly n: number; readonly entity: EntityOf[Collection] | undefined }
  >()
  /** Entities the worker changed while a read of IndexedDB was under way: that read must not overwrite them. */
  private touchedDuringRead: Set<string> | undefined
  private state: DocState = {
    loaded: false,
    filling: false,
    unsaved: 0,
    stored: 0,
    saveError: undefined,
    readOnlyReason: undefined,
    canUndo: false,
    canRedo: false,
    topUndoTag: undefined,
  }
  private seq = 0
  private applied = 0
  private askId = 0
  private versionNo = 0
  private failure: string | undefined
  private others: ReadonlyArray<PresenceShown> = []
  private flushWaiters: Array<() => void> = []
  /** `Changes` numbers that may have moved a partial project's count (a task added, removed or moved). */
  private countsMoved: Array<number> = []
  private savesNo = 0
  private readonly saveListeners = new Set<() => void>()
  /** Set while `undo.tagged` runs: the write it makes carries the tag. */
  tag: string | undefined

  /**
   * Messages to the worker. A keystroke's `Write` (and its caret after it) leaves after the page
   * paints (`afterPaint`); it is journaled before, so a tab closed in that frame loses nothing.
   */
  private readonly out: ReturnType<typeof afterPaintPort>

  private constructor(
    private readonly sync: TabSync,
    private currentMeta: WorkspaceMeta,
    private readonly port: DocPort,
  ) {
    this.out = afterPaintPort(port)
    this.undo = new RemoteUndo(this)
    this.index.onCommentsWanted = (taskId) => void this.loadComments(taskId)
    port.onmessage = (e) => this.receive(e.data)
  }

  static async open(sync: TabSync, ws: WorkspaceId, makePort = docWorker): Promise<WorkspaceSession | undefined> {
    const meta = await sync.store.getWorkspace(ws)
    if (meta === undefined) return undefined
    await replayJournal(sync, ws)
    // Read before the rows: they are at least this new, and the worker sends every entity
    // changed since (another tab may write rows between this read and the worker's load).
    const since = await sync.store.entities.mark(ws)
    const s = new WorkspaceSession(sync, meta, makePort())
    s.out.postMessage({
      _tag: "Open",
      ws,
      canWrite: s.writable(),
      replay: journaledIntents(ws).map((j) => ({ key: j.key, intent: j.intent })),
      since,
    })
    // The last known board, from IndexedDB, before the document is imported.
    await s.readRows()
    return s
  }

  private writable(): boolean {
    return canWrite(this.currentMeta.role) && this.currentMeta.fatal === undefined
  }

  private receive(m: DocToPage) {
    switch (m._tag) {
      case "Changes": {
        this.applied = Math.max(this.applied, m.applied)
        const n = ++this.changesSeen
        for (const p of m.puts) this.unflushed.set(key(p.c, p.entity.id), { n, entity: p.entity })
        for (const g of m.gone) this.unflushed.set(key(g.c, g.id), { n, entity: undefined })
        let shown = this.movesCounts(m)
        if (shown) this.countsMoved.push(n)
        for (const c of ["projects", "members", "tasks", "comments"] as const) {
          const all = m.puts.filter((p) => p.c === c).map((p) => this.patched(c, p.entity))
          const puts = c === "tasks" ? all.filter((t) => this.inWindow(t as EntityOf["tasks"])) : all
          const gone = m.gone.filter((g) => g.c === c).map((g) => g.id)
          // Only what is put here overrides a read under way: a task left out (past the window)
          // must still come from that read if the read finds it inside the window.
          for (const e of puts) this.touchedDuringRead?.add(key(c, e.id))
          for (const id of gone) this.touchedDuringRead?.add(key(c, id))
          // A change that only confirms what the page shows (this tab's own edit, patched at
          // once; the worker adds the time of the commit, shown nowhere) renders nothing: a render
          // per keystroke's confirmation kept the page busy into the next keystroke.
          const current = this.index[c]
          if (gone.some((id) => current.has(id)) || puts.some((e) => !shownAlready(current.get(e.id), e))) shown = true
          this.index.put(c, puts)
          this.index.remove(c, gone)
        }
        return shown ? this.bumpSoon() : undefined
      }
      case "Reload":
        this.applied = Math.max(this.applied, m.applied)
        for (const c of ["projects", "members", "tasks", "comments"] as const)
          this.index.remove(
            c,
            m.gone.filter((g) => g.c === c).map((g) => g.id),
          )
        return void this.readRows()
      case "Applied":
        // The board already shows the write (its fields at once, its entity changes before
        // this): only the count of unsaved changes moves.
        this.applied = Math.max(this.applied, m.seq)
        this.settlePatches()
        if (this.applied >= this.seq) for (const w of this.flushWaiters.splice(0)) w()
        return this.savesSoon()
      case "Stored":
        return forgetIntent(this.meta.workspaceId, m.key)
      case "Rows": {
        for (const [k, u] of this.unflushed) if (u.n <= m.upTo) this.unflushed.delete(k)
        const moved = this.countsMoved.some((n) => n <= m.upTo)
        this.countsMoved = this.countsMoved.filter((n) => n > m.upTo)
        return moved ? void this.recount() : undefined
      }
      case "WriteFailed":
        // Its fields go: the worker sends the entity as the document has it next.
        for (const [k, p] of this.patches) if (p.seq === m.seq) this.patches.delete(k)
        for (const l of this.failureListeners) l(m.message)
        return
      case "State": {
        const [a, b] = [this.state, m.state]
        this.state = b
        const moved = (Object.keys(b) as Array<keyof DocState>).filter((k) => a[k] !== b[k])
        if (moved.some((k) => SAVE_FIELDS.has(k))) this.savesSoon()
        // Any other field (a new one too) is the board's.
        return moved.some((k) => !SAVE_FIELDS.has(k)) ? this.bumpSoon() : undefined
      }
      case "Answer": {
        const resolve = this.asks.get(m.id)
        this.asks.delete(m.id)
        return resolve?.(m.value)
      }
      case "Failed":
        this.failure = m.message
        this.savesSoon()
        return this.bumpSoon()
      case "Presence":
        this.others = m.peers
        return this.bumpSoon()
    }
  }

  /** A task added, removed, or moved between projects: the counts of partial projects may move. */
  private movesCounts(m: Extract<DocToPage, { _tag: "Changes" }>): boolean {
    if (m.gone.some((g) => g.c === "tasks")) return true
    return m.puts.some((p) => {
      if (p.c !== "tasks") return false
      const known = this.index.tasks.get(p.entity.id)
      return known === undefined || known.projectId !== (p.entity as EntityOf["tasks"]).projectId
    })
  }

  /** The entity with the fields the page wrote and the worker has not run yet. */
  private patched<C extends Collection>(c: C, e: EntityOf[C]): EntityOf[C] {
    const p = this.patches.get(key(c, e.id))
    return p === undefined || p.seq <= this.applied ? e : ({ ...e, ...p.fields } as EntityOf[C])
  }

  private settlePatches(): void {
    for (const [k, p] of this.patches) if (p.seq <= this.applied) this.patches.delete(k)
  }

  /** A task past the read window of a project with more tasks than that waits until scrolled to. */
  private inWindow(t: EntityOf["tasks"]): boolean {
    if (!this.partial.has(t.projectId) || this.index.tasks.has(t.id)) return true
    const last = this.index.tasksOf(t.projectId).at(-1)
    return last === undefined || `${t.sortKey}\u0000${t.id}` < `${last.sortKey}\u0000${last.id}`
  }

  /**
   * Reads projects, members and each project's window of tasks (and counts) from IndexedDB.
   * Entities the worker changed while the read was under way keep the worker's version.
   */
  private async readRows(): Promise<void> {
    const ws = this.meta.workspaceId
    const rows = this.sync.store.entities
    const touched = new Set<string>()
    this.touchedDuringRead = touched
    const [projects, members] = await Promise.all([rows.list(ws, "projects"), rows.list(ws, "members")])
    const tasks = await Promise.all(
      projects.map(async (p) => {
        const limit = this.windows.get(p.id) ?? TASK_WINDOW
        const [list, count] = await Promise.all([rows.list(ws, "tasks", p.id, 0, limit), rows.count(ws, "tasks", p.id)])
        this.counts.set(p.id, count)
        if (list.length < limit) this.partial.delete(p.id)
        else this.partial.add(p.id)
        return list
      }),
    )
    if (this.touchedDuringRead === touched) this.touchedDuringRead = undefined
    const fresh = <C extends Collection>(c: C, es: ReadonlyArray<EntityOf[C]>) =>
      es.flatMap((row) => {
        if (touched.has(key(c, row.id))) return []
        // A row older than a change already received: the change's version (or none, if deleted).
        const u = this.unflushed.get(key(c, row.id))
        const e = u === undefined ? row : (u.entity as EntityOf[C] | undefined)
        return e === undefined ? [] : [this.patched(c, e)]
      })
    // Nothing is dropped here: rows may lag the entity changes already applied, and deletions
    // arrive as such (`Changes.gone`, `Reload.gone`).
    this.index.put("projects", fresh("projects", projects))
    this.index.put("members", fresh("members", members))
    this.index.put("tasks", fresh("tasks", tasks.flat()))
    this.bump()
  }

  /**
   * Counts again the rows of the projects read only in part (the others count what is read),
   * after rows were written: every edit's rows are, so nothing re-renders unless a count moved.
   */
  private async recount(): Promise<void> {
    const ws = this.meta.workspaceId
    const ids = [...this.partial]
    if (ids.length === 0) return
    const counts = await Promise.all(ids.map((id) => this.sync.store.entities.count(ws, "tasks", id)))
    let moved = false
    ids.forEach((id, i) => {
      moved ||= this.counts.get(id) !== counts[i]
      this.counts.set(id, counts[i]!)
    })
    if (moved) this.bump()
  }

  private async loadComments(taskId: string): Promise<void> {
    if (this.loadedComments.has(taskId)) return
    this.loadedComments.add(taskId)
    const list = await this.sync.store.entities.list(this.meta.workspaceId, "comments", taskId)
    this.index.put(
      "comments",
      list.filter((c) => !this.index.comments.has(c.id)),
    )
    this.bump()
  }

  /**
   * Tasks of the project: exact when all of them are read; for a longer one, the count of its
   * rows in IndexedDB (they lag the document by a moment while it changes).
   */
  taskCount(projectId: string): number {
    const read = this.index.tasksOf(projectId).length
    return this.partial.has(projectId) ? Math.max(this.counts.get(projectId) ?? 0, read) : read
  }

  /** Reads the project's first `upTo` tasks (scrolling down a long list). */
  loadMore(projectId: string, upTo: number): void {
    if ((this.windows.get(projectId) ?? TASK_WINDOW) >= upTo) return
    this.windows.set(projectId, upTo)
    void this.readRows()
  }

  /** The document is imported and the rows caught up (until then the board is the last known one). */
  get loaded(): boolean {
    return this.state.loaded
  }

  /** Rows are being written in parts (the board is still growing). */
  get filling(): boolean {
    return this.state.filling
  }

  /** Token, role and fatal state: they change while the board is open (registration, revocation). */
  get meta(): WorkspaceMeta {
    return this.currentMeta
  }

  async refreshMeta(): Promise<void> {
    const meta = await this.sync.store.getWorkspace(this.currentMeta.workspaceId)
    if (meta === undefined) return
    this.currentMeta = meta
    this.out.postMessage({ _tag: "Meta", canWrite: this.writable() })
    this.bump()
  }

  /** Why this tab must not write, beyond the role: a document from a newer app version, or a reload under way. */
  get readOnlyReason(): string | undefined {
    return this.state.readOnlyReason
  }

  /** When this tab last wrote (`Date.now()`): the status bar settles once edits pause. */
  lastWriteAt = 0

  /** One user action (one commit in the worker). Patched fields show at once. */
  write(i: Intent): void {
    this.lastWriteAt = Date.now()
    const seq = ++this.seq
    const p = patchOf(i)
    if (p !== undefined) {
      this.patches.set(key(p.collection, p.id), { seq, fields: p.fields })
      const current = this.index[p.collection].get(p.id)
      if (current !== undefined) this.index.put(p.collection, [{ ...current, ...p.fields } as never])
    }
    // Journaled in this task: a tab closed before the worker stored the commit loses nothing.
    const journalKey = newId<string>()
    journalIntent(this.meta.workspaceId, journalKey, i)
    this.out.postMessage({ _tag: "Write", seq, key: journalKey, intent: i, tag: this.tag })
    // In the task of the user's action: one render shows the edit and "waiting to upload". A
    // description is shown by the one panel that edits it, from its own state, and nowhere on
    // the board: a keystroke there renders the board for nothing (3 ms of every key).
    if (p === undefined || Object.keys(p.fields).some((f) => !EDITOR_SHOWN.has(f))) this.bump(true)
    this.bumpSaves()
  }

  /** Refused writes, in words for a person (the page shows them as notices). */
  onWriteFailed(listener: (message: string) => void): () => void {
    this.failureListeners.add(listener)
    return () => this.failureListeners.delete(listener)
  }

  post(m: PageToDoc): void {
    this.out.postMessage(m)
  }

  /** Everyone else here now (C17; the presence socket runs in the document worker), one per tab. */
  get presence(): ReadonlyArray<PresenceShown> {
    return this.others
  }

  get undoState(): Pick<DocState, "canUndo" | "canRedo" | "topUndoTag"> {
    return this.state
  }

  /** Asks the worker about the document's history (the page has no document to read). */
  ask(question: { readonly _tag: "Versions" }): Promise<ReadonlyArray<DocVersionPoint>>
  ask(question: Extract<Question, { _tag: "ViewAt" }>): Promise<Extract<Answer, { _tag: "View" }>["view"]>
  ask(question: Question): Promise<unknown> {
    const id = ++this.askId
    this.out.postMessage({ _tag: "Ask", id, question })
    return new Promise((resolve) => this.asks.set(id, (a) => resolve(a._tag === "Versions" ? a.versions : a.view)))
  }

  /** Resolves when every write so far has run in the worker and its commit is in IndexedDB. */
  async flush(): Promise<void> {
    if (this.applied < this.seq) await new Promise<void>((r) => this.flushWaiters.push(r))
    while (this.state.unsaved > 0) await new Promise((r) => setTimeout(r, 10))
  }

  get unsaved(): number {
    return this.state.unsaved + (this.seq - Math.min(this.applied, this.seq))
  }

  /** This tab's commits put in the IndexedDB outbox so far (see `DocState.stored`). */
  get stored(): number {
    return this.state.stored
  }

  get error(): string | undefined {
    return this.state.saveError ?? this.failure
  }

  /**
   * The board changed. `urgent`: the page's own write, which shows in the frame of the user's
   * action; anything else (the worker's changes, rows read from IndexedDB) may render in a
   * transition (`useSessionValue`).
   */
  private bump(urgent = false): void {
    this.versionNo++
    for (const l of this.listeners) l(urgent)
  }

  private bumpSaves(): void {
    this.savesNo++
    for (const l of this.saveListeners) l()
  }

  private soon: ReturnType<typeof setTimeout> | undefined
  private soonBoard = false
  private soonSaves = false

  /**
   * What the worker sends comes in several messages per edit (changes, applied, state, rows):
   * React renders once for a burst of them, not once per message. A timer, not an animation
   * frame: background tabs get no frames and must stay in step. The page's own writes render
   * at once (`bump`), so a keystroke shows in its own frame.
   */
  private bumpSoon(): void {
    this.soonBoard = true
    this.schedule()
  }

  /** Only the unsaved count or the save error moved: the status bar re-renders, not the board. */
  private savesSoon(): void {
    this.soonSaves = true
    this.schedule()
  }

  private schedule(): void {
    this.soon ??= setTimeout(() => {
      this.soon = undefined
      const board = this.soonBoard
      const saves = this.soonSaves
      this.soonBoard = false
      this.soonSaves = false
      // One task: React renders both in one pass.
      if (board) this.bump()
      if (saves) this.bumpSaves()
    }, 8)
  }

  /** Called on every change the board shows, with whether it is the page's own write. */
  readonly subscribe = (listener: (urgent: boolean) => void): (() => void) => {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  /** A number that changes with every change the board shows (the `useSyncExternalStore` snapshot). */
  readonly version = (): number => this.versionNo

  readonly subscribeSaves = (listener: () => void): (() => void) => {
    this.saveListeners.add(listener)
    return () => this.saveListeners.delete(listener)
  }

  /** A number that changes with `unsaved`, `stored` and `error`. */
  readonly saveVersion = (): number => this.savesNo

  close(): void {
    // The worker writes what it has to IndexedDB, then closes itself.
    this.out.postMessage({ _tag: "Close" })
    this.out.flush()
    this.port.onmessage = null
    if (this.soon !== undefined) clearTimeout(this.soon)
    this.listeners.clear()
    this.saveListeners.clear()
  }
}

/** Commits an older build's tab journaled but may not have written to the outbox (see CommitJournal). */
const replayJournal = async (sync: TabSync, ws: WorkspaceId): Promise<void> => {
  for (const e of journalEntries(ws)) {
    const entry = await sync.store.appendLocal(ws, MAIN_DOC, {
      bytes: e.bytes,
      idempotencyKey: e.idempotencyKey,
      createdAt: e.at > 0 ? e.at : Date.now(),
    })
    const { id, createdAt } = entry
    sync.post({
      _tag: "LocalCommit",
      ws,
      doc: MAIN_DOC,
      id,
      idempotencyKey: e.idempotencyKey,
      bytes: e.bytes,
      createdAt,
    })
    journalRemove(e.key)
  }
}
