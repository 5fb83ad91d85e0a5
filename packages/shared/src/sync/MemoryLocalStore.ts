import type { DocId, WorkspaceId } from "@vibestack/schema"
import type { WireError } from "../protocol/errors.js"
import type { LocalStore, OutboxEntry, OutboxInput, RejectedEntry, StoredDoc, WorkspaceMeta } from "./LocalStore.js"

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
      updates: d.updates.map((u) => ({ id: u.id, bytes: u.bytes.slice() })),
      cursor: d.cursor,
      schemaVersion: d.schemaVersion,
    }
  }

  readonly appendLocal = async (ws: WorkspaceId, doc: DocId, entry: OutboxInput): Promise<OutboxEntry> => {
    const d = this.doc(ws, doc)
    const id = d.nextId++
    const out: OutboxEntry = { id, bytes: entry.bytes.slice(), idempotencyKey: entry.idempotencyKey }
    d.updates.push({ id, bytes: out.bytes })
    d.outbox.push(out)
    return { ...out, bytes: out.bytes.slice() }
  }

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

  readonly outbox = async (ws: WorkspaceId, doc: DocId): Promise<ReadonlyArray<OutboxEntry>> =>
    this.doc(ws, doc).outbox.map((e) => ({ ...e, bytes: e.bytes.slice() }))

  readonly ackOutbox = async (ws: WorkspaceId, doc: DocId, id: number): Promise<void> => {
    const d = this.doc(ws, doc)
    d.outbox = d.outbox.filter((e) => e.id !== id)
  }

  readonly rejectOutbox = async (ws: WorkspaceId, doc: DocId, id: number, error: WireError): Promise<void> => {
    const d = this.doc(ws, doc)
    const entry = d.outbox.find((e) => e.id === id)
    if (!entry) return
    d.outbox = d.outbox.filter((e) => e.id !== id)
    d.rejected.push({ ...entry, error })
  }

  readonly rejectedOutbox = async (ws: WorkspaceId, doc: DocId): Promise<ReadonlyArray<RejectedEntry>> =>
    this.doc(ws, doc).rejected.map((e) => ({ ...e, bytes: e.bytes.slice() }))

  readonly compact = async (ws: WorkspaceId, doc: DocId, snapshot: Uint8Array, upToUpdateId: number): Promise<void> => {
    const d = this.doc(ws, doc)
    d.snapshot = snapshot.slice()
    d.updates = d.updates.filter((u) => u.id > upToUpdateId)
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
