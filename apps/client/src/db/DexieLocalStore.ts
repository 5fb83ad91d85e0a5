import type { DocId, WorkspaceId } from "@vibestack/schema"
import {
  type LocalStore,
  normalizeFatal,
  type OutboxEntry,
  type OutboxInput,
  type OutboxStats,
  type RebasePlan,
  type RejectedEntry,
  type StoredDoc,
  type WorkspaceMeta,
} from "@vibestack/shared"
import { Dexie, type EntityTable, type Table } from "dexie"
import { type EntityMarkRow, type EntityRow, EntityRows } from "./EntityRows.js"

/**
 * A document's small bookkeeping, read and written by every append. Its snapshot is a row of
 * its own (`SnapshotRow`, v5): when it sat here, every keystroke read and wrote the whole
 * snapshot back (twice: the tab's append and the leader's store of the echo), megabytes per key
 * in a large workspace, most of the browser's CPU for typing.
 */
interface DocRow {
  readonly ws: string
  readonly doc: string
  readonly cursor: number
  readonly schemaVersion: number
  /** Next update-log id: one sequence shared by local and remote entries (and outbox ids). */
  readonly nextId: number
}

interface SnapshotRow {
  readonly ws: string
  readonly doc: string
  readonly bytes: Uint8Array
}

interface UpdateRow {
  readonly ws: string
  readonly doc: string
  readonly id: number
  readonly bytes: Uint8Array
}

interface OutboxRow extends UpdateRow {
  readonly idempotencyKey: string
  /** When the commit was made (v3; rows from before carry the time of the upgrade). */
  readonly createdAt: number
}

interface RejectedRow extends OutboxRow {
  readonly error: RejectedEntry["error"]
  readonly summary: string
  readonly text: string
}

type Key = [string, string, number]

/**
 * The browser's `LocalStore` over IndexedDB. Every method runs in one Dexie `rw`
 * transaction, so a crash or a closed tab leaves a document before or after a call.
 * Several tabs and the sync worker open the same database at once; IndexedDB serialises
 * overlapping `rw` transactions, which keeps the id sequence in `docs.nextId` unique.
 *
 * Schema changes: add a `version(n + 1).stores(...)` (with an `upgrade` if rows move);
 * never edit an existing version.
 */
export class DexieLocalStore implements LocalStore {
  private readonly db: Dexie & {
    docs: Table<DocRow, [string, string]>
    snapshots: Table<SnapshotRow, [string, string]>
    updates: Table<UpdateRow, Key>
    outboxRows: Table<OutboxRow, Key>
    rejected: Table<RejectedRow, Key>
    workspaces: EntityTable<WorkspaceMeta, "workspaceId">
    entities: Table<EntityRow, [string, string, string]>
    entityMarks: Table<EntityMarkRow, string>
    intentsDone: Table<{ readonly key: string; readonly at: number }, string>
  }
  /** Per-entity rows of each workspace (v4): the board before the document, a window at a time. */
  readonly entities: EntityRows

  constructor(name = "vibestack", options?: { readonly indexedDB: IDBFactory; readonly IDBKeyRange: unknown }) {
    this.db = new Dexie(name, options as never) as DexieLocalStore["db"]
    // Nothing here uses liveQuery (the bundle test keeps it out). Without these two, Dexie
    // would still work out the key ranges of every write and broadcast them to every tab and
    // worker of the origin: four messages per keystroke into the page, each a task on its
    // main thread, for no reader.
    this.db.unuse({ stack: "dbcore", name: "Observability" })
    this.db.unuse({ stack: "dbcore", name: "Cache" })
    this.db.version(1).stores({
      docs: "[ws+doc]",
      updates: "[ws+doc+id]",
      outboxRows: "[ws+doc+id]",
      rejected: "[ws+doc+id]",
      workspaces: "workspaceId",
    })
    // v2: the tab's entity index, cached per workspace at an exact document version.
    this.db.version(2).stores({ indexCache: "ws" })
    // v3: outbox rows carry `createdAt` (the status shows the oldest waiting change's age),
    // refused rows a summary and their text, and `fatal` is `{ kind, message }` instead of
    // "Kind: message". Same keys and indexes; existing outboxes are kept row for row.
    this.db.version(3).upgrade(async (tx) => {
      const now = Date.now()
      await tx
        .table("outboxRows")
        .toCollection()
        .modify((row: { createdAt?: number }) => {
          row.createdAt ??= now
        })
      await tx
        .table("rejected")
        .toCollection()
        .modify((row: { createdAt?: number; summary?: string; text?: string }) => {
          row.createdAt ??= now
          row.summary ??= ""
          row.text ??= ""
        })
      await tx
        .table("workspaces")
        .toCollection()
        .modify((meta: { fatal?: unknown }) => {
          const fatal = normalizeFatal(meta.fatal)
          if (fatal === undefined) delete meta.fatal
          else meta.fatal = fatal
        })
    })
    // v4: one row per entity (EntityRows), replacing the whole-index cache row of v2; and the
    // keys of page intents whose commit is in the outbox (IntentJournal: replay only the others).
    this.db.version(4).stores({
      entities: "[ws+c+id], [ws+c+g+k]",
      entityMarks: "ws",
      intentsDone: "key, at",
      indexCache: null,
    })
    // v5: each document's snapshot in a row of its own, out of the row every append rewrites.
    this.db
      .version(5)
      .stores({ snapshots: "[ws+doc]" })
      .upgrade(async (tx) => {
        const docs = tx.table<{ ws: string; doc: string; snapshot?: Uint8Array }, [string, string]>("docs")
        // One document at a time: a device may hold several large workspaces.
        for (const key of await docs.toCollection().primaryKeys()) {
          const row = await docs.get(key)
          if (row?.snapshot !== undefined)
            await tx.table("snapshots").put({ ws: row.ws, doc: row.doc, bytes: row.snapshot })
        }
        await docs.toCollection().modify((row) => {
          delete row.snapshot
        })
      })
    this.entities = new EntityRows(this.db.entities, this.db.entityMarks)
  }

  close(): void {
    this.db.close()
  }

  private range<T>(table: Table<T, Key>, ws: string, doc: string, upTo: number = Number.MAX_SAFE_INTEGER) {
    return table.where("[ws+doc+id]").between([ws, doc, Dexie.minKey], [ws, doc, upTo], true, true)
  }

  /** One document's rows with ids in (`afterId`, `upTo`]. */
  private after<T>(table: Table<T, Key>, ws: string, doc: string, afterId: number, upTo = Number.MAX_SAFE_INTEGER) {
    return table.where("[ws+doc+id]").between([ws, doc, afterId], [ws, doc, upTo], false, true)
  }

  private async docRow(ws: string, doc: string): Promise<DocRow> {
    return (await this.db.docs.get([ws, doc])) ?? { ws, doc, cursor: 0, schemaVersion: 0, nextId: 1 }
  }

  /** The device has stored something of this document (counted by key: no bytes are read). */
  readonly hasDoc = async (ws: WorkspaceId, doc: DocId): Promise<boolean> =>
    (await this.db.docs.where(":id").equals([ws, doc]).count()) > 0

  readonly loadDoc = (ws: WorkspaceId, doc: DocId): Promise<StoredDoc> =>
    this.db.transaction("r", [this.db.docs, this.db.snapshots, this.db.updates], async () => {
      const [row, snapshot, updates] = await Promise.all([
        this.docRow(ws, doc),
        this.db.snapshots.get([ws, doc]),
        this.range(this.db.updates, ws, doc).toArray(),
      ])
      return {
        snapshot: snapshot?.bytes,
        updates: updates.map(logEntryOf),
        cursor: row.cursor,
        schemaVersion: row.schemaVersion,
      }
    })

  readonly updatesAfter = async (ws: WorkspaceId, doc: DocId, afterId: number) =>
    (await this.after(this.db.updates, ws, doc, afterId).toArray()).map(logEntryOf)

  /** Appends a local commit; call inside a `rw` transaction over docs, updates and outboxRows. */
  private async append(ws: string, doc: string, entry: OutboxInput): Promise<OutboxEntry> {
    const row = await this.docRow(ws, doc)
    const id = row.nextId
    // IndexedDB stores a structured clone, so the caller's array may change afterwards.
    const bytes = entry.bytes.slice()
    const { idempotencyKey, createdAt } = entry
    await this.db.docs.put({ ...row, nextId: id + 1 })
    await this.db.updates.add({ ws, doc, id, bytes })
    await this.db.outboxRows.add({ ws, doc, id, bytes, idempotencyKey, createdAt })
    return { id, bytes: bytes.slice(), idempotencyKey, createdAt }
  }

  readonly appendLocal = (ws: WorkspaceId, doc: DocId, entry: OutboxInput) =>
    this.db.transaction("rw", [this.db.docs, this.db.updates, this.db.outboxRows], () => this.append(ws, doc, entry))

  /** `appendLocal` that also records, atomically, that the page's intent `intentKey` is stored. */
  readonly appendLocalIntent = (ws: WorkspaceId, doc: DocId, entry: OutboxInput, intentKey: string) =>
    this.db.transaction("rw", [this.db.docs, this.db.updates, this.db.outboxRows, this.db.intentsDone], async () => {
      await this.db.intentsDone.put({ key: intentKey, at: entry.createdAt })
      return this.append(ws, doc, entry)
    })

  /** Which of these intents already have their commit stored; forgets keys older than a week. */
  readonly intentsStored = async (keys: ReadonlyArray<string>): Promise<ReadonlySet<string>> => {
    await this.db.intentsDone
      .where("at")
      .below(Date.now() - 7 * 86_400_000)
      .delete()
    const rows = await this.db.intentsDone.bulkGet([...keys])
    return new Set(rows.flatMap((r) => (r === undefined ? [] : [r.key])))
  }

  readonly appendRemote = (ws: WorkspaceId, doc: DocId, updates: ReadonlyArray<Uint8Array>, cursor: number) =>
    this.db.transaction("rw", [this.db.docs, this.db.updates], async () => {
      const row = await this.docRow(ws, doc)
      let nextId = row.nextId
      await this.db.updates.bulkAdd(updates.map((bytes) => ({ ws, doc, id: nextId++, bytes: bytes.slice() })))
      await this.db.docs.put({ ...row, nextId, cursor: Math.max(row.cursor, cursor) })
    })

  readonly outboxWindow = async (ws: WorkspaceId, doc: DocId, afterId: number, limit: number) =>
    (await this.after(this.db.outboxRows, ws, doc, afterId).limit(Math.max(0, limit)).toArray()).map(entryOf)

  /**
   * Counts without reading the bytes, plus the oldest row, in one transaction: the engine asks
   * after every commit and acknowledgement, and each IndexedDB transaction is a trip through
   * the browser's storage process.
   */
  readonly outboxStats = (ws: WorkspaceId, doc: DocId): Promise<OutboxStats> =>
    this.db.transaction("r", [this.db.outboxRows, this.db.rejected], () => this.statsIn(ws, doc))

  /** The outbox's stats, read inside the caller's transaction. */
  private async statsIn(ws: WorkspaceId, doc: DocId): Promise<OutboxStats> {
    const [count, rejected] = await Promise.all([
      this.range(this.db.outboxRows, ws, doc).count(),
      this.range(this.db.rejected, ws, doc).count(),
    ])
    if (count === 0) return { count, oldestAt: undefined, rejected }
    const oldest = await this.range(this.db.outboxRows, ws, doc).first()
    return { count, oldestAt: oldest?.createdAt, rejected }
  }

  readonly outbox = async (ws: WorkspaceId, doc: DocId): Promise<ReadonlyArray<OutboxEntry>> =>
    (await this.range(this.db.outboxRows, ws, doc).toArray()).map(entryOf)

  /** The removal and the stats after it in one transaction (a trip through the storage process each). */
  readonly ackOutbox = (ws: WorkspaceId, doc: DocId, ids: ReadonlyArray<number>): Promise<OutboxStats> =>
    this.db.transaction("rw", [this.db.outboxRows, this.db.rejected], async () => {
      await this.db.outboxRows.bulkDelete(ids.map((id): Key => [ws, doc, id]))
      return this.statsIn(ws, doc)
    })

  readonly rejectedOutbox = async (ws: WorkspaceId, doc: DocId): Promise<ReadonlyArray<RejectedEntry>> =>
    (await this.range(this.db.rejected, ws, doc).toArray()).map((r) => ({
      ...entryOf(r),
      error: r.error,
      summary: r.summary,
      text: r.text,
    }))

  readonly resolveRejected = (ws: WorkspaceId, doc: DocId, id: number, replacement: OutboxInput | undefined) =>
    this.db.transaction(
      "rw",
      [this.db.docs, this.db.updates, this.db.outboxRows, this.db.rejected],
      async (): Promise<OutboxEntry | undefined> => {
        if ((await this.db.rejected.get([ws, doc, id])) === undefined) return undefined
        await this.db.rejected.delete([ws, doc, id])
        return replacement === undefined ? undefined : this.append(ws, doc, replacement)
      },
    )

  readonly rebase = (ws: WorkspaceId, doc: DocId, plan: RebasePlan) =>
    this.db.transaction(
      "rw",
      [this.db.docs, this.db.snapshots, this.db.updates, this.db.outboxRows, this.db.rejected],
      async (): Promise<boolean> => {
        const outboxIds = await this.range(this.db.outboxRows, ws, doc).primaryKeys()
        const rejectedIds = await this.range(this.db.rejected, ws, doc).primaryKeys()
        if (!sameIds(outboxIds, plan.expectOutbox) || !sameIds(rejectedIds, plan.expectRejected)) return false
        const row = await this.docRow(ws, doc)
        let nextId = row.nextId
        await this.range(this.db.updates, ws, doc).delete()
        await this.range(this.db.outboxRows, ws, doc).delete()
        await this.range(this.db.rejected, ws, doc).delete()
        await this.db.outboxRows.bulkAdd(
          plan.outbox.map((e) => ({
            ws,
            doc,
            id: nextId++,
            bytes: e.bytes.slice(),
            idempotencyKey: e.idempotencyKey,
            createdAt: e.createdAt,
          })),
        )
        await this.db.rejected.bulkAdd(plan.rejected.map((e) => ({ ...e, ws, doc, bytes: e.bytes.slice() })))
        await this.db.docs.put({ ...row, nextId })
        await this.db.snapshots.put({ ws, doc, bytes: plan.snapshot.slice() })
        return true
      },
    )

  readonly compact = (ws: WorkspaceId, doc: DocId, snapshot: Uint8Array, upToUpdateId: number) =>
    this.db.transaction("rw", [this.db.docs, this.db.snapshots, this.db.updates], async () => {
      await this.range(this.db.updates, ws, doc, upToUpdateId).delete()
      // The row itself is written too: `hasDoc` counts it.
      await this.db.docs.put(await this.docRow(ws, doc))
      await this.db.snapshots.put({ ws, doc, bytes: snapshot.slice() })
    })

  readonly squash = (ws: WorkspaceId, doc: DocId, bytes: Uint8Array, afterUpdateId: number, upToUpdateId: number) =>
    this.db.transaction("rw", [this.db.updates], async () => {
      const range = this.after(this.db.updates, ws, doc, afterUpdateId, upToUpdateId)
      if ((await range.count()) === 0) return
      await range.delete()
      await this.db.updates.put({ ws, doc, id: upToUpdateId, bytes: bytes.slice() })
    })

  readonly setSchemaVersion = (ws: WorkspaceId, doc: DocId, version: number) =>
    this.db.transaction("rw", [this.db.docs], async () => {
      await this.db.docs.put({ ...(await this.docRow(ws, doc)), schemaVersion: version })
    })

  readonly putWorkspace = async (meta: WorkspaceMeta): Promise<void> => {
    await this.db.workspaces.put({ ...meta })
  }

  /** Changes only the name: whatever else the sync worker wrote on the row meanwhile stays. */
  readonly nameWorkspace = async (ws: WorkspaceId, name: string): Promise<void> => {
    await this.db.workspaces.update(ws, { name })
  }

  readonly getWorkspace = (ws: WorkspaceId): Promise<WorkspaceMeta | undefined> => this.db.workspaces.get(ws)

  readonly listWorkspaces = (): Promise<ReadonlyArray<WorkspaceMeta>> => this.db.workspaces.toArray()
}

const logEntryOf = (u: UpdateRow) => ({ id: u.id, bytes: u.bytes })

const entryOf = (r: OutboxRow): OutboxEntry => ({
  id: r.id,
  bytes: r.bytes,
  idempotencyKey: r.idempotencyKey,
  createdAt: r.createdAt,
})

const sameIds = (keys: ReadonlyArray<Key>, ids: ReadonlyArray<number>): boolean =>
  keys.length === ids.length && keys.every((k, i) => k[2] === ids[i])
