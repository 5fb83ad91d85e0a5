import { MAIN_DOC, type WorkspaceId } from "@vibestack/schema"
// The shared contract suite is not exported from @vibestack/shared's index (it imports vitest);
// a relative path keeps it test-only until the package exports a test entry.
import { runLocalStoreContract } from "@vibestack/shared/testing"
import { Dexie } from "dexie"
import { IDBFactory, IDBKeyRange } from "fake-indexeddb"
import { describe, expect, it } from "vitest"
import { DexieLocalStore } from "./DexieLocalStore.js"

let n = 0
const factories = new WeakMap<DexieLocalStore, { readonly name: string; readonly indexedDB: IDBFactory }>()

const make = (): DexieLocalStore => {
  const indexedDB = new IDBFactory()
  const name = `contract-${++n}`
  const store = new DexieLocalStore(name, { indexedDB, IDBKeyRange })
  factories.set(store, { name, indexedDB })
  return store
}

/** A restart: close the database and open a new store over the same IndexedDB data. */
const reopen = (store: DexieLocalStore): DexieLocalStore => {
  const f = factories.get(store)!
  store.close()
  const next = new DexieLocalStore(f.name, { indexedDB: f.indexedDB, IDBKeyRange })
  factories.set(next, f)
  return next
}

runLocalStoreContract("dexie (fake-indexeddb)", make, (s) => reopen(s as DexieLocalStore))

/** The database as an older release declared it, up to version `upTo` (its stores only). */
const olderDatabase = (name: string, indexedDB: IDBFactory, upTo: 2 | 4): Dexie => {
  const old = new Dexie(name, { indexedDB, IDBKeyRange })
  old.version(1).stores({
    docs: "[ws+doc]",
    updates: "[ws+doc+id]",
    outboxRows: "[ws+doc+id]",
    rejected: "[ws+doc+id]",
    workspaces: "workspaceId",
  })
  old.version(2).stores({ indexCache: "ws" })
  if (upTo === 4)
    old
      .version(4)
      .stores({ entities: "[ws+c+id], [ws+c+g+k]", entityMarks: "ws", intentsDone: "key, at", indexCache: null })
  return old
}

describe("DexieLocalStore upgrade", () => {
  it("[C1] v3 keeps every outbox row written by v2, dates it, and structures an old fatal reason", async () => {
    const indexedDB = new IDBFactory()
    const old = olderDatabase("upgrade", indexedDB, 2)
    await old.table("docs").put({ ws: "w", doc: "main", snapshot: undefined, cursor: 0, schemaVersion: 0, nextId: 3 })
    for (const id of [1, 2]) {
      await old.table("updates").put({ ws: "w", doc: "main", id, bytes: new Uint8Array([id]) })
      await old
        .table("outboxRows")
        .put({ ws: "w", doc: "main", id, bytes: new Uint8Array([id]), idempotencyKey: `k${id}` })
    }
    await old.table("workspaces").put({
      workspaceId: "w",
      name: "W",
      serverUrl: "http://x",
      token: "t",
      role: "viewer",
      createdAt: 1,
      fatal: "Unauthorized: token revoked",
    })
    old.close()
    const before = Date.now()
    const store = new DexieLocalStore("upgrade", { indexedDB, IDBKeyRange })
    const ws = "w" as WorkspaceId
    const outbox = await store.outbox(ws, MAIN_DOC)
    expect(outbox.map((e) => [e.id, e.idempotencyKey])).toEqual([
      [1, "k1"],
      [2, "k2"],
    ])
    expect(outbox[0]!.createdAt).toBeGreaterThanOrEqual(before)
    expect((await store.outboxStats(ws, MAIN_DOC)).count).toBe(2)
    expect((await store.getWorkspace(ws))?.fatal).toEqual({ kind: "Unauthorized", message: "token revoked" })
    store.close()
  })
})

describe("DexieLocalStore upgrade to v5", () => {
  it("[C1] a v4 document keeps its snapshot, now in a row of its own: appends no longer rewrite it", async () => {
    const indexedDB = new IDBFactory()
    const old = olderDatabase("upgrade-v5", indexedDB, 4)
    const snapshot = new Uint8Array([9, 8, 7])
    await old.table("docs").put({ ws: "w", doc: "main", snapshot, cursor: 5, schemaVersion: 2, nextId: 2 })
    await old.table("docs").put({ ws: "w2", doc: "main", snapshot: undefined, cursor: 0, schemaVersion: 0, nextId: 1 })
    await old.table("updates").put({ ws: "w", doc: "main", id: 1, bytes: new Uint8Array([1]) })
    old.close()
    const store = new DexieLocalStore("upgrade-v5", { indexedDB, IDBKeyRange })
    const ws = "w" as WorkspaceId
    expect(await store.loadDoc(ws, MAIN_DOC)).toEqual({
      snapshot,
      updates: [{ id: 1, bytes: new Uint8Array([1]) }],
      cursor: 5,
      schemaVersion: 2,
    })
    expect((await store.loadDoc("w2" as WorkspaceId, MAIN_DOC)).snapshot).toBeUndefined()
    await store.appendLocal(ws, MAIN_DOC, { bytes: new Uint8Array([2]), idempotencyKey: "k", createdAt: 1 })
    store.close()
    // The document's row holds no bytes: the snapshot is read and written on its own.
    const raw = new Dexie("upgrade-v5", { indexedDB, IDBKeyRange })
    await raw.open()
    expect(await raw.table("docs").get(["w", "main"])).toEqual({
      ws: "w",
      doc: "main",
      cursor: 5,
      schemaVersion: 2,
      nextId: 3,
    })
    expect(await raw.table("snapshots").get(["w", "main"])).toEqual({ ws: "w", doc: "main", bytes: snapshot })
    raw.close()
  })
})

describe("DexieLocalStore workspaces", () => {
  it("naming a joined workspace keeps what the sync worker wrote on its row meanwhile", async () => {
    const store = make()
    const ws = "w-named" as WorkspaceId
    await store.putWorkspace({
      workspaceId: ws,
      name: "Shared workspace",
      serverUrl: "http://127.0.0.1:1",
      token: "t1",
      role: "editor",
      createdAt: 1,
    })
    // The leader met a refused token while the join page was still asking for the name.
    const row = await store.getWorkspace(ws)
    await store.putWorkspace({ ...row!, fatal: { kind: "Unauthorized", message: "token revoked" } })
    await store.nameWorkspace(ws, "Launch plan")
    const named = await store.getWorkspace(ws)
    expect(named?.name).toBe("Launch plan")
    expect(named?.fatal).toEqual({ kind: "Unauthorized", message: "token revoked" })
    expect(named?.token).toBe("t1")
    store.close()
  })
})

describe("DexieLocalStore writes", () => {
  it("announce nothing to the origin's other tabs and workers (no liveQuery reads them)", async () => {
    const store = make()
    const ws = "w1" as WorkspaceId
    const meta = { workspaceId: ws, name: "W", serverUrl: "", token: "t", role: "master", createdAt: 1 } as const
    // Opened first: Dexie announces a database it creates once, whatever the middleware.
    await store.putWorkspace(meta)
    // What Dexie would broadcast to every other context after each write ("storagemutated").
    const announced: Array<unknown> = []
    const listener = (parts: unknown) => void announced.push(parts)
    Dexie.on("storagemutated", listener)
    try {
      await store.putWorkspace({ ...meta, name: "W2" })
      await store.appendLocal(ws, MAIN_DOC, { bytes: new Uint8Array([1, 2, 3]), idempotencyKey: "k1", createdAt: 1 })
      expect((await store.outbox(ws, MAIN_DOC)).length).toBe(1)
      expect(announced).toEqual([])
    } finally {
      Dexie.on("storagemutated").unsubscribe(listener)
      store.close()
    }
  })
})
