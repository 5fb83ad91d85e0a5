import type { DocId, WorkspaceId } from "@vibestack/schema"
import { MemoryLocalStore } from "@vibestack/shared"
import { LoroDoc } from "loro-crdt"
import { describe, expect, it } from "vitest"
import { WorkerDocHost } from "./WorkerDocHost.js"

const ws = "ws-host" as WorkspaceId
const docId = "main" as DocId

/** A tab's commit: made on a document of its own, written to the store as the tab does. */
const tabCommit = async (store: MemoryLocalStore, key: string) => {
  const tab = new LoroDoc()
  tab.getMap("m").set(key, key)
  tab.commit()
  const bytes = tab.export({ mode: "update" })
  await store.appendLocal(ws, docId, { bytes, idempotencyKey: key, createdAt: 1 })
  return bytes
}

const imported = (bytes: Uint8Array) => {
  const d = new LoroDoc()
  d.import(bytes)
  return d.getMap("m").toJSON() as Record<string, string>
}

describe("WorkerDocHost", () => {
  it("[C11] a compaction's snapshot and a squash's update hold the entries they replace, tab commits the replica has not seen included", async () => {
    const store = new MemoryLocalStore()
    const { host } = await WorkerDocHost.load(store, ws, docId)
    const version = host.version()
    // A tab wrote this entry; its broadcast never reached the worker's replica.
    await tabCommit(store, "unseen")
    expect(host.doc.getMap("m").get("unseen")).toBeUndefined()
    const entries = (await store.updatesAfter(ws, docId, 0)).map((e) => e.bytes)
    // Without the entries the exports would miss it (what the store would then lose).
    const snapshot = host.exportSnapshot(entries)
    expect(imported(snapshot)).toEqual({ unseen: "unseen" })
    expect(imported(host.exportSince(version, entries))).toEqual({ unseen: "unseen" })
  })

  it("exports without entries hold only what the replica has (the control: entries are what carry a tab's commit)", async () => {
    const store = new MemoryLocalStore()
    const { host } = await WorkerDocHost.load(store, ws, docId)
    const version = host.version()
    await tabCommit(store, "unseen")
    expect(imported(host.exportSince(version, []))).toEqual({})
    expect(imported(host.exportSnapshot([]))).toEqual({})
  })
})
