import type { DocId, WorkspaceId } from "@vibestack/schema"
import type {
  LocalStore,
  OutboxEntry,
  OutboxInput,
  OutboxStats,
  RebasePlan,
  RejectedEntry,
  StoredDoc,
  WorkspaceMeta,
} from "./LocalStore.js"

interface DocState {
  snapshot: Uint8Array | undefined
  updates: Array<{ id: number; bytes: Uint8Array }>
  outbox: Array<OutboxEntry>
  rejected: Array<RejectedEntry>
  cursor: number
  schemaVersion: number
  nextId: number
}

const emptyDoc = (): DocState => ({
  snapshot: undefined,
  updates: [],
  outbox: [],
  rejected: [],
  cursor: 0,
  schemaVersion: 0,
  nextId: 1,
})

const copy = <E extends { readonly bytes: Uint8Array }>(e: E): E => ({ ...e, bytes: e.bytes.slice() })
const sameIds = (a: ReadonlyArray<{ readonly id: number }>, ids: ReadonlyArray<number>) =>
  a.length === ids.length && a.every((e, i) => e.id === ids[i])

/**
 * `LocalStore` in memory. Each call copies in and out so callers never share mutable
 * bytes with the store; a "restart" is a new engine over the same instance.
 */
export class MemoryLocalStore implements LocalStore {
  private readonly docs = new Map<string, DocState>()
  private readonly workspaces = new Map<string, WorkspaceMeta>()

  private doc(ws: WorkspaceId, doc: DocId): DocState {
    const key = `${ws}/${doc}`
    let d = this.docs.get(key)
    if (!d) this.docs.set(key, (d = emptyDoc()))
    return d
  }

  readonly loadDoc = async (ws: WorkspaceId, doc: DocId): Promise<StoredDoc> => {
    const d = this.doc(ws, doc)
    return {
      snapshot: d.snapshot?.slice(),
      updates: d.updates.map(copy),
      cursor: d.cursor,
      schemaVersion: d.schemaVersion,
    }
  }

  readonly updatesAfter = async (ws: WorkspaceId, doc: DocId, afterId: number) =>
    this.doc(ws, doc)
      .updates.filter((u) => u.id > afterId)
      .map(copy)

  private append(d: DocState, entry: OutboxInput): OutboxEntry {
    const out: OutboxEntry = {
      id: d.nextId++,
      bytes: entry.bytes.slice(),
      idempotencyKey: entry.idempotencyKey,
      createdAt: entry.createdAt,
    }
    d.updates.push({ id: out.id, bytes: out.bytes })
    d.outbox.push(out)
    return copy(out)
  }

  readonly appendLocal = async (ws: WorkspaceId, doc: DocId, entry: OutboxInput): Promise<OutboxEntry> =>
    this.append(this.doc(ws, doc), entry)

  readonly appendRemote = async (
    ws: WorkspaceId,
    doc: DocId,
    updates: ReadonlyArray<Uint8Array>,
    cursor: number,
  ): Promise<void> => {
    const d = this.doc(ws, doc)
    for (const bytes of updates) d.updates.push({ id: d.nextId++, bytes: bytes.slice() })
    d.cursor = Math.max(d.cursor, cursor)
  }

  readonly outboxWindow = async (
    ws: WorkspaceId,
    doc: DocId,
    afterId: number,
    limit: number,
  ): Promise<ReadonlyArray<OutboxEntry>> =>
    this.doc(ws, doc)
      .outbox.filter((e) => e.id > afterId)
      .slice(0, Math.max(0, limit))
      .map(copy)

  readonly outboxStats = async (ws: WorkspaceId, doc: DocId): Promise<OutboxStats> => {
    const { outbox, rejected } = this.doc(ws, doc)
    return { count: outbox.length, oldestAt: outbox[0]?.createdAt, rejected: rejected.length }
  }

  readonly outbox = async (ws: WorkspaceId, doc: DocId): Promise<ReadonlyArray<OutboxEntry>> =>
    this.doc(ws, doc).outbox.map(copy)

  readonly ackOutbox = async (ws: WorkspaceId, doc: DocId, ids: ReadonlyArray<number>): Promise<OutboxStats> => {
    const d = this.doc(ws, doc)
    const acked = new Set(ids)
    d.outbox = d.outbox.filter((e) => !acked.has(e.id))
    return this.outboxStats(ws, doc)
  }

  readonly rejectedOutbox = async (ws: WorkspaceId, doc: DocId): Promise<ReadonlyArray<RejectedEntry>> =>
    this.doc(ws, doc).rejected.map(copy)

  readonly resolveRejected = async (
    ws: WorkspaceId,
    doc: DocId,
    id: number,
    replacement: OutboxInput | undefined,
  ): Promise<OutboxEntry | undefined> => {
    const d = this.doc(ws, doc)
    if (!d.rejected.some((e) => e.id === id)) return undefined
    d.rejected = d.rejected.filter((e) => e.id !== id)
    return replacement === undefined ? undefined : this.append(d, replacement)
  }

  readonly rebase = async (ws: WorkspaceId, doc: DocId, plan: RebasePlan): Promise<boolean> => {
    const d = this.doc(ws, doc)
    if (!sameIds(d.outbox, plan.expectOutbox) || !sameIds(d.rejected, plan.expectRejected)) return false
    d.snapshot = plan.snapshot.slice()
    d.updates = []
    d.outbox = plan.outbox.map((e) => ({
      id: d.nextId++,
      bytes: e.bytes.slice(),
      idempotencyKey: e.idempotencyKey,
      createdAt: e.createdAt,
    }))
    d.rejected = plan.rejected.map(copy)
    return true
  }

  readonly compact = async (ws: WorkspaceId, doc: DocId, snapshot: Uint8Array, upToUpdateId: number): Promise<void> => {
    const d = this.doc(ws, doc)
    d.snapshot = snapshot.slice()
    d.updates = d.updates.filter((u) => u.id > upToUpdateId)
  }

  readonly squash = async (
    ws: WorkspaceId,
    doc: DocId,
    bytes: Uint8Array,
    afterUpdateId: number,
    upToUpdateId: number,
  ): Promise<void> => {
    const d = this.doc(ws, doc)
    const inRange = (u: { id: number }) => u.id > afterUpdateId && u.id <= upToUpdateId
    if (!d.updates.some(inRange)) return
    const before = d.updates.filter((u) => u.id <= afterUpdateId)
    const after = d.updates.filter((u) => u.id > upToUpdateId)
    d.updates = [...before, { id: upToUpdateId, bytes: bytes.slice() }, ...after]
  }

  readonly setSchemaVersion = async (ws: WorkspaceId, doc: DocId, version: number): Promise<void> => {
    this.doc(ws, doc).schemaVersion = version
  }

  readonly putWorkspace = async (meta: WorkspaceMeta): Promise<void> => {
    this.workspaces.set(meta.workspaceId, { ...meta })
  }

  readonly getWorkspace = async (ws: WorkspaceId): Promise<WorkspaceMeta | undefined> => {
    const m = this.workspaces.get(ws)
    return m ? { ...m } : undefined
  }

  readonly listWorkspaces = async (): Promise<ReadonlyArray<WorkspaceMeta>> =>
    [...this.workspaces.values()].map((m) => ({ ...m }))
}
