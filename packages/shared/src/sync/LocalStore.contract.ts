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
      expect(await s.outboxWindow(ws, doc, 0, 10)).toEqual([])
      expect(await s.outboxStats(ws, doc)).toEqual({ count: 0, oldestAt: undefined, rejected: 0 })
      expect(await s.rejectedOutbox(ws, doc)).toEqual([])
    })

    it("[C3] the outbox is read window by window, counted without its bytes, and acknowledged in batches", async () => {
      const s = await makeStore()
      const ids: Array<number> = []
      for (let i = 1; i <= 7; i++)
        ids.push((await s.appendLocal(ws, doc, { bytes: b(i), idempotencyKey: `k${i}`, createdAt: 1000 + i })).id)
      const r = await restart(s)
      const first = await r.outboxWindow(ws, doc, 0, 3)
      expect(first.map((e) => e.bytes)).toEqual([b(1), b(2), b(3)])
      expect(first[0]).toEqual({ id: ids[0], bytes: b(1), idempotencyKey: "k1", createdAt: 1001 })
      const next = await r.outboxWindow(ws, doc, first.at(-1)!.id, 3)
      expect(next.map((e) => e.idempotencyKey)).toEqual(["k4", "k5", "k6"])
      expect((await r.outboxWindow(ws, doc, ids[5]!, 3)).map((e) => e.idempotencyKey)).toEqual(["k7"])
      expect(await r.outboxStats(ws, doc)).toEqual({ count: 7, oldestAt: 1001, rejected: 0 })
      // The stats after the removal come with it (read in the same step).
      expect(await r.ackOutbox(ws, doc, [ids[0]!, ids[1]!, ids[2]!])).toEqual({ count: 4, oldestAt: 1004, rejected: 0 })
      const again = await restart(r)
      expect(await again.outboxStats(ws, doc)).toEqual({ count: 4, oldestAt: 1004, rejected: 0 })
      expect((await again.outboxWindow(ws, doc, 0, 2)).map((e) => e.idempotencyKey)).toEqual(["k4", "k5"])
    })

    it("[C1] a local commit lands in the update log and the outbox together, in order", async () => {
      const s = await makeStore()
      const e1 = await s.appendLocal(ws, doc, { bytes: b(1), idempotencyKey: "k1", createdAt: 100 })
      const e2 = await s.appendLocal(ws, doc, { bytes: b(2), idempotencyKey: "k2", createdAt: 100 })
      expect(e2.id).toBeGreaterThan(e1.id)
      const r = await restart(s)
      expect((await r.loadDoc(ws, doc)).updates).toEqual([
        { id: e1.id, bytes: b(1) },
        { id: e2.id, bytes: b(2) },
      ])
      expect(await r.outbox(ws, doc)).toEqual([
        { id: e1.id, bytes: b(1), idempotencyKey: "k1", createdAt: 100 },
        { id: e2.id, bytes: b(2), idempotencyKey: "k2", createdAt: 100 },
      ])
    })

    it("[C4] acknowledging removes only that entry and keeps it in the log; unknown ids are a no-op", async () => {
      const s = await makeStore()
      const e1 = await s.appendLocal(ws, doc, { bytes: b(1), idempotencyKey: "k1", createdAt: 100 })
      const e2 = await s.appendLocal(ws, doc, { bytes: b(2), idempotencyKey: "k2", createdAt: 100 })
      expect(await s.ackOutbox(ws, doc, [e1.id])).toEqual({ count: 1, oldestAt: 100, rejected: 0 })
      expect(await s.ackOutbox(ws, doc, [9999])).toEqual({ count: 1, oldestAt: 100, rejected: 0 })
      await s.ackOutbox(ws, doc, [e1.id])
      const r = await restart(s)
      expect((await r.outbox(ws, doc)).map((e) => e.id)).toEqual([e2.id])
      expect((await r.loadDoc(ws, doc)).updates).toHaveLength(2)
    })

    it("[C2] remote updates and their cursor are stored together; the cursor never goes down", async () => {
      const s = await makeStore()
      await s.appendRemote(ws, doc, [b(7), b(8)], 5)
      await s.appendRemote(ws, doc, [], 3)
      const back = await restart(s)
      expect((await back.loadDoc(ws, doc)).cursor).toBe(5)
      // No updates (the device's own echoes): the cursor alone moves.
      await back.appendRemote(ws, doc, [], 9)
      const r = await restart(back)
      const d = await r.loadDoc(ws, doc)
      expect(d.cursor).toBe(9)
      expect(d.updates.map((u) => u.bytes)).toEqual([b(7), b(8)])
      expect(await r.outbox(ws, doc)).toEqual([])
    })

    it("local and remote entries share one increasing id sequence", async () => {
      const s = await makeStore()
      const e1 = await s.appendLocal(ws, doc, { bytes: b(1), idempotencyKey: "k1", createdAt: 100 })
      await s.appendRemote(ws, doc, [b(2)], 1)
      const e3 = await s.appendLocal(ws, doc, { bytes: b(3), idempotencyKey: "k3", createdAt: 100 })
      const ids = (await (await restart(s)).loadDoc(ws, doc)).updates.map((u) => u.id)
      expect(ids[0]).toBe(e1.id)
      expect(ids[2]).toBe(e3.id)
      expect([...ids].sort((x, y) => x - y)).toEqual(ids)
      expect(new Set(ids).size).toBe(3)
    })

    it("compaction replaces the snapshot, drops covered entries and never touches the outbox", async () => {
      const s = await makeStore()
      const e1 = await s.appendLocal(ws, doc, { bytes: b(1), idempotencyKey: "k1", createdAt: 100 })
      await s.appendRemote(ws, doc, [b(2)], 1)
      const d0 = await s.loadDoc(ws, doc)
      const e3 = await s.appendLocal(ws, doc, { bytes: b(3), idempotencyKey: "k3", createdAt: 100 })
      await s.compact(ws, doc, b(9, 9), d0.updates.at(-1)!.id)
      const r = await restart(s)
      const d = await r.loadDoc(ws, doc)
      expect(d.snapshot).toEqual(b(9, 9))
      expect(d.updates).toEqual([{ id: e3.id, bytes: b(3) }])
      expect(d.cursor).toBe(1)
      expect((await r.outbox(ws, doc)).map((e) => e.id)).toEqual([e1.id, e3.id])
      // A later append after compaction still gets a fresh id.
      const e4 = await r.appendLocal(ws, doc, { bytes: b(4), idempotencyKey: "k4", createdAt: 100 })
      expect(e4.id).toBeGreaterThan(e3.id)
    })

    it("[C11] a squash replaces a range of log entries by one, and never touches the snapshot, the outbox or other entries", async () => {
      const s = await makeStore()
      await s.compact(ws, doc, b(9, 9), 0)
      const e1 = await s.appendLocal(ws, doc, { bytes: b(1), idempotencyKey: "k1", createdAt: 100 })
      await s.appendRemote(ws, doc, [b(2), b(3)], 2)
      const e4 = await s.appendLocal(ws, doc, { bytes: b(4), idempotencyKey: "k4", createdAt: 100 })
      const e5 = await s.appendLocal(ws, doc, { bytes: b(5), idempotencyKey: "k5", createdAt: 100 })
      const ids = (await s.loadDoc(ws, doc)).updates.map((u) => u.id)
      expect(ids).toHaveLength(5)
      // Entries 2..4 (after the first, up to the fourth) become one, with the fourth's id.
      await s.squash(ws, doc, b(7, 7, 7), ids[0]!, ids[3]!)
      const r = await restart(s)
      const d = await r.loadDoc(ws, doc)
      expect(d.snapshot).toEqual(b(9, 9))
      expect(d.updates).toEqual([
        { id: e1.id, bytes: b(1) },
        { id: e4.id, bytes: b(7, 7, 7) },
        { id: e5.id, bytes: b(5) },
      ])
      expect(d.cursor).toBe(2)
      expect((await r.outbox(ws, doc)).map((e) => [e.id, e.bytes])).toEqual([
        [e1.id, b(1)],
        [e4.id, b(4)],
        [e5.id, b(5)],
      ])
      // The entries after an id, without the snapshot, as loadDoc holds them.
      expect(await r.updatesAfter(ws, doc, e1.id)).toEqual([
        { id: e4.id, bytes: b(7, 7, 7) },
        { id: e5.id, bytes: b(5) },
      ])
      expect(await r.updatesAfter(ws, doc, 0)).toEqual(d.updates)
      expect(await r.updatesAfter(ws, doc, e5.id)).toEqual([])
      expect(await r.updatesAfter("ws-other" as WorkspaceId, doc, 0)).toEqual([])
      // A range holding no entry changes nothing.
      await r.squash(ws, doc, b(8), e5.id, e5.id + 10)
      expect((await r.loadDoc(ws, doc)).updates.map((u) => u.id)).toEqual([e1.id, e4.id, e5.id])
      // A later append still gets a fresh id.
      const e6 = await r.appendLocal(ws, doc, { bytes: b(6), idempotencyKey: "k6", createdAt: 100 })
      expect(e6.id).toBeGreaterThan(e5.id)
    })

    it("[C14] a rebase rewrites snapshot, log, outbox and rejected list in one step, only if nothing changed meanwhile", async () => {
      const s = await makeStore()
      await s.appendRemote(ws, doc, [b(7)], 3)
      const e1 = await s.appendLocal(ws, doc, { bytes: b(1), idempotencyKey: "k1", createdAt: 11 })
      const e2 = await s.appendLocal(ws, doc, { bytes: b(2), idempotencyKey: "k2", createdAt: 12 })
      const refused = {
        ...e1,
        error: { kind: "InvalidUpdate" as const, message: "bad" },
        summary: "tasks/t1 title: set",
        text: "x".repeat(3),
      }
      const plan = {
        expectOutbox: [e1.id, e2.id],
        expectRejected: [],
        snapshot: b(9, 9),
        outbox: [{ bytes: b(5), idempotencyKey: "n2", createdAt: 12 }],
        rejected: [refused],
      }
      // A commit landed after the plan was computed: nothing is written.
      const late = await s.appendLocal(ws, doc, { bytes: b(3), idempotencyKey: "k3", createdAt: 13 })
      expect(await s.rebase(ws, doc, plan)).toBe(false)
      expect((await s.outbox(ws, doc)).map((e) => e.id)).toEqual([e1.id, e2.id, late.id])
      expect(await s.rejectedOutbox(ws, doc)).toEqual([])
      expect(await s.rebase(ws, doc, { ...plan, expectOutbox: [e1.id, e2.id, late.id] })).toBe(true)
      const r = await restart(s)
      const d = await r.loadDoc(ws, doc)
      expect(d).toEqual({ snapshot: b(9, 9), updates: [], cursor: 3, schemaVersion: 0 })
      const outbox = await r.outbox(ws, doc)
      expect(outbox.map((e) => [e.bytes, e.idempotencyKey, e.createdAt])).toEqual([[b(5), "n2", 12]])
      expect(outbox[0]!.id).toBeGreaterThan(late.id)
      expect(await r.rejectedOutbox(ws, doc)).toEqual([refused])
      expect(await r.outboxStats(ws, doc)).toEqual({ count: 1, oldestAt: 12, rejected: 1 })
      // The rejected list is part of the expectation too.
      expect(await r.rebase(ws, doc, { ...plan, expectOutbox: [outbox[0]!.id] })).toBe(false)
      const e4 = await r.appendLocal(ws, doc, { bytes: b(4), idempotencyKey: "k4", createdAt: 14 })
      expect(e4.id).toBeGreaterThan(outbox[0]!.id)
    })

    it("[C15] a refused entry is discarded, or replaced by a new local commit, in one step", async () => {
      const s = await makeStore()
      const e1 = await s.appendLocal(ws, doc, { bytes: b(1), idempotencyKey: "k1", createdAt: 1 })
      const e2 = await s.appendLocal(ws, doc, { bytes: b(2), idempotencyKey: "k2", createdAt: 2 })
      const error = { kind: "Forbidden" as const, message: "viewers cannot push" }
      await s.rebase(ws, doc, {
        expectOutbox: [e1.id, e2.id],
        expectRejected: [],
        snapshot: b(0),
        outbox: [],
        rejected: [
          { ...e1, error, summary: "one", text: "" },
          { ...e2, error, summary: "two", text: "" },
        ],
      })
      expect(await s.resolveRejected(ws, doc, e1.id, undefined)).toBeUndefined()
      expect(await s.resolveRejected(ws, doc, 9999, undefined)).toBeUndefined()
      const retried = await s.resolveRejected(ws, doc, e2.id, { bytes: b(8), idempotencyKey: "r2", createdAt: 20 })
      expect(retried).toMatchObject({ bytes: b(8), idempotencyKey: "r2", createdAt: 20 })
      // Resolving the same id twice does not append twice.
      expect(
        await s.resolveRejected(ws, doc, e2.id, { bytes: b(8), idempotencyKey: "r3", createdAt: 21 }),
      ).toBeUndefined()
      const r = await restart(s)
      expect(await r.rejectedOutbox(ws, doc)).toEqual([])
      expect((await r.outbox(ws, doc)).map((e) => e.idempotencyKey)).toEqual(["r2"])
      expect((await r.loadDoc(ws, doc)).updates.map((u) => u.bytes)).toEqual([b(8)])
    })

    it("documents and workspaces are isolated from each other", async () => {
      const s = await makeStore()
      const other = "other" as DocId
      await s.appendLocal(ws, doc, { bytes: b(1), idempotencyKey: "k1", createdAt: 100 })
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
      const e = await s.appendLocal(ws, doc, { bytes: input, idempotencyKey: "k", createdAt: 100 })
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
      await s.putWorkspace({ ...meta, token: "t", fatal: { kind: "Unauthorized", message: "token revoked" } })
      await s.putWorkspace({ ...meta, workspaceId: "ws-2" as WorkspaceId, name: "Other" })
      const r = await restart(s)
      expect(await r.getWorkspace(ws)).toMatchObject({
        token: "t",
        creatorKey: "ck",
        fatal: { kind: "Unauthorized", message: "token revoked" },
      })
      expect(await r.getWorkspace("nope" as WorkspaceId)).toBeUndefined()
      expect((await r.listWorkspaces()).map((m) => m.name).sort()).toEqual(["Other", "Team"])
    })
  })
}
