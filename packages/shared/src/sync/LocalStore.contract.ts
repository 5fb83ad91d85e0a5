import type { DocId, WorkspaceId } from "@vibestack/schema"
import { describe, expect, it } from "vitest"
import type { LocalStore, WorkspaceMeta } from "./LocalStore.js"

const ws = "ws-contract" as WorkspaceId
const doc = "main" as DocId
const b = (...xs: Array<number>) => new Uint8Array(xs)

/**
 * The behaviour every `LocalStore` must have (memory, file, Dexie). `reopen`, when given,
 * returns a store over the same persisted data (a restart), and the suite checks that
 * everything survives it.
 */
export const runLocalStoreContract = (
  name: string,
  makeStore: () => Promise<LocalStore> | LocalStore,
  reopen?: (store: LocalStore) => Promise<LocalStore> | LocalStore,
): void => {
  describe(`LocalStore contract: ${name}`, () => {
    const restart = async (s: LocalStore) => (reopen ? reopen(s) : s)

    it("an unknown document is empty", async () => {
      const s = await makeStore()
      expect(await s.loadDoc(ws, doc)).toEqual({ snapshot: undefined, updates: [], cursor: 0, schemaVersion: 0 })
      expect(await s.outbox(ws, doc)).toEqual([])
      expect(await s.rejectedOutbox(ws, doc)).toEqual([])
    })

    it("[C1] a local commit lands in the update log and the outbox together, in order", async () => {
      const s = await makeStore()
      const e1 = await s.appendLocal(ws, doc, { bytes: b(1), idempotencyKey: "k1" })
      const e2 = await s.appendLocal(ws, doc, { bytes: b(2), idempotencyKey: "k2" })
      expect(e2.id).toBeGreaterThan(e1.id)
      const r = await restart(s)
      expect((await r.loadDoc(ws, doc)).updates).toEqual([
        { id: e1.id, bytes: b(1) },
        { id: e2.id, bytes: b(2) },
      ])
      expect(await r.outbox(ws, doc)).toEqual([
        { id: e1.id, bytes: b(1), idempotencyKey: "k1" },
        { id: e2.id, bytes: b(2), idempotencyKey: "k2" },
      ])
    })

    it("[C4] acknowledging removes only that entry and keeps it in the log; unknown ids are a no-op", async () => {
      const s = await makeStore()
      const e1 = await s.appendLocal(ws, doc, { bytes: b(1), idempotencyKey: "k1" })
      const e2 = await s.appendLocal(ws, doc, { bytes: b(2), idempotencyKey: "k2" })
      await s.ackOutbox(ws, doc, e1.id)
      await s.ackOutbox(ws, doc, 9999)
      await s.ackOutbox(ws, doc, e1.id)
      const r = await restart(s)
      expect((await r.outbox(ws, doc)).map((e) => e.id)).toEqual([e2.id])
      expect((await r.loadDoc(ws, doc)).updates).toHaveLength(2)
    })

    it("[C2] remote updates and their cursor are stored together; the cursor never goes down", async () => {
      const s = await makeStore()
      await s.appendRemote(ws, doc, [b(7), b(8)], 5)
      await s.appendRemote(ws, doc, [], 3)
      const r = await restart(s)
      const d = await r.loadDoc(ws, doc)
      expect(d.cursor).toBe(5)
      expect(d.updates.map((u) => u.bytes)).toEqual([b(7), b(8)])
      expect(await r.outbox(ws, doc)).toEqual([])
    })

    it("local and remote entries share one increasing id sequence", async () => {
      const s = await makeStore()
      const e1 = await s.appendLocal(ws, doc, { bytes: b(1), idempotencyKey: "k1" })
      await s.appendRemote(ws, doc, [b(2)], 1)
      const e3 = await s.appendLocal(ws, doc, { bytes: b(3), idempotencyKey: "k3" })
      const ids = (await (await restart(s)).loadDoc(ws, doc)).updates.map((u) => u.id)
      expect(ids[0]).toBe(e1.id)
      expect(ids[2]).toBe(e3.id)
      expect([...ids].sort((x, y) => x - y)).toEqual(ids)
      expect(new Set(ids).size).toBe(3)
    })

    it("compaction replaces the snapshot, drops covered entries and never touches the outbox", async () => {
      const s = await makeStore()
      const e1 = await s.appendLocal(ws, doc, { bytes: b(1), idempotencyKey: "k1" })
      await s.appendRemote(ws, doc, [b(2)], 1)
      const d0 = await s.loadDoc(ws, doc)
      const e3 = await s.appendLocal(ws, doc, { bytes: b(3), idempotencyKey: "k3" })
      await s.compact(ws, doc, b(9, 9), d0.updates.at(-1)!.id)
      const r = await restart(s)
      const d = await r.loadDoc(ws, doc)
      expect(d.snapshot).toEqual(b(9, 9))
      expect(d.updates).toEqual([{ id: e3.id, bytes: b(3) }])
      expect(d.cursor).toBe(1)
      expect((await r.outbox(ws, doc)).map((e) => e.id)).toEqual([e1.id, e3.id])
      // A later append after compaction still gets a fresh id.
      const e4 = await r.appendLocal(ws, doc, { bytes: b(4), idempotencyKey: "k4" })
      expect(e4.id).toBeGreaterThan(e3.id)
    })

    it("[C8] a rejected entry leaves the outbox and is kept with its reason", async () => {
      const s = await makeStore()
      const e1 = await s.appendLocal(ws, doc, { bytes: b(1), idempotencyKey: "k1" })
      const e2 = await s.appendLocal(ws, doc, { bytes: b(2), idempotencyKey: "k2" })
      await s.rejectOutbox(ws, doc, e1.id, { kind: "InvalidUpdate", message: "bad" })
      await s.rejectOutbox(ws, doc, 9999, { kind: "InvalidUpdate", message: "none" })
      const r = await restart(s)
      expect((await r.outbox(ws, doc)).map((e) => e.id)).toEqual([e2.id])
      expect(await r.rejectedOutbox(ws, doc)).toEqual([
        { id: e1.id, bytes: b(1), idempotencyKey: "k1", error: { kind: "InvalidUpdate", message: "bad" } },
      ])
    })

    it("documents and workspaces are isolated from each other", async () => {
      const s = await makeStore()
      const other = "other" as DocId
      await s.appendLocal(ws, doc, { bytes: b(1), idempotencyKey: "k1" })
      await s.appendRemote("ws-b" as WorkspaceId, doc, [b(5)], 4)
      await s.setSchemaVersion(ws, other, 3)
      const r = await restart(s)
      expect((await r.loadDoc(ws, other)).updates).toEqual([])
      expect((await r.loadDoc(ws, other)).schemaVersion).toBe(3)
      expect((await r.loadDoc("ws-b" as WorkspaceId, doc)).cursor).toBe(4)
      expect(await r.outbox("ws-b" as WorkspaceId, doc)).toEqual([])
      expect((await r.loadDoc(ws, doc)).schemaVersion).toBe(0)
    })

    it("returned bytes are copies: mutating them does not change the store", async () => {
      const s = await makeStore()
      const input = b(1, 2)
      const e = await s.appendLocal(ws, doc, { bytes: input, idempotencyKey: "k" })
      input[0] = 99
      e.bytes[1] = 99
      ;(await s.loadDoc(ws, doc)).updates[0]!.bytes[0] = 77
      expect((await s.outbox(ws, doc))[0]!.bytes).toEqual(b(1, 2))
      expect((await s.loadDoc(ws, doc)).updates[0]!.bytes).toEqual(b(1, 2))
    })

    it("workspace metadata is stored, replaced and listed", async () => {
      const s = await makeStore()
      const meta: WorkspaceMeta = {
        workspaceId: ws,
        name: "Team",
        serverUrl: "http://127.0.0.1:3000",
        token: undefined,
        role: "master",
        createdAt: 1,
        creatorKey: "ck",
      }
      await s.putWorkspace(meta)
      await s.putWorkspace({ ...meta, token: "t", fatal: "Unauthorized: revoked" })
      await s.putWorkspace({ ...meta, workspaceId: "ws-2" as WorkspaceId, name: "Other" })
      const r = await restart(s)
      expect(await r.getWorkspace(ws)).toMatchObject({ token: "t", creatorKey: "ck", fatal: "Unauthorized: revoked" })
      expect(await r.getWorkspace("nope" as WorkspaceId)).toBeUndefined()
      expect((await r.listWorkspaces()).map((m) => m.name).sort()).toEqual(["Other", "Team"])
    })
  })
}
