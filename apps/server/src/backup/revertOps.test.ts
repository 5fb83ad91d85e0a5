import { createProject, createTask, deleteTask, setTaskDescription, updateTask } from "@vibestack/schema"
import { LoroDoc } from "loro-crdt"
import { afterEach, describe, expect, it } from "vitest"
import { LoroPool } from "../pool/LoroPool.js"
import { MemoryDocSource } from "../pool/test/MemoryDocSource.js"

const pools: Array<LoroPool> = []
/** Root maps exist once touched; an empty one is the same state as an absent one. */
const state = (doc: LoroDoc) =>
  Object.fromEntries(
    Object.entries(doc.toJSON() as Record<string, object>).filter(([, v]) => Object.keys(v).length > 0),
  )
afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.close()))
})

/** A client doc that pushes its edits into the pool/source like the byte store would. */
const setup = () => {
  const source = new MemoryDocSource()
  const pool = new LoroPool({ workers: 1, maxDocsPerWorker: 8, source })
  pools.push(pool)
  const client = new LoroDoc()
  const push = async (doc: LoroDoc = client) => {
    const bytes = doc.export({ mode: "update" })
    const [r] = await pool.validate("w", "main", [bytes])
    expect(r).toEqual({ ok: true })
    await pool.markCommitted("w", "main", source.append("w", "main", [bytes]))
  }
  return { source, pool, client, push }
}

describe("pool ops for backup and history", () => {
  it("revertDoc writes forward ops that bring the document back to a snapshot's state", async () => {
    const { pool, client, push } = setup()
    const p = createProject(client, { name: "P", color: "#112233" })
    const t1 = createTask(client, { projectId: p.id, title: "one" })
    setTaskDescription(client, t1.id, "hello world")
    client.commit()
    await push()
    const backup = (await pool.exportSnapshot("w", "main")).bytes
    const backupJson = state(client)
    updateTask(client, t1.id, { title: "renamed" })
    setTaskDescription(client, t1.id, "bye")
    const t2 = createTask(client, { projectId: p.id, title: "two" })
    client.commit()
    deleteTask(client, t1.id)
    client.commit()
    await push()
    expect(state(client)).not.toEqual(backupJson)
    const info = await pool.run("w", "main", "inspectSnapshot", { snapshot: backup, verify: true })
    expect(info.schemaVersion).toBeGreaterThanOrEqual(1)
    const r = await pool.run("w", "main", "revertDoc", { target: { _tag: "Snapshot", snapshot: backup } })
    expect(r.update).not.toBeNull()
    client.import(r.update!)
    expect(state(client)).toEqual(backupJson)
    expect(t2.id in (client.getMap("tasks").toJSON() as object)).toBe(false)
    await push()
    const again = await pool.run("w", "main", "revertDoc", { target: { _tag: "Snapshot", snapshot: backup } })
    // A second revert may write (no-op) ops again; the state stays the backup's.
    if (again.update !== null) client.import(again.update)
    expect(state(client)).toEqual(backupJson)
  })

  it("blobMetas and stateAt read past versions; a foreign snapshot is refused", async () => {
    const { pool, source, client, push } = setup()
    client.getMap("meta").set("a", 1)
    client.commit()
    await push()
    const v1 = client.oplogVersion()
    client.getMap("meta").set("a", 2)
    client.commit()
    await push()
    const blobs = (await source.load("w", "main")).updates.map((u) => u.bytes)
    const metas = await pool.run("w", "main", "blobMetas", { blobs })
    expect(metas.map((m) => m.changes)).toEqual([1, 1])
    expect(metas[0]!.peers).toEqual([client.peerIdStr])
    const at = await pool.run("w", "main", "stateAt", { versionVector: metas[0]!.end })
    expect(at.json).toEqual({ meta: { a: 1 } })
    expect(Object.fromEntries(v1.toJSON())).toEqual(metas[0]!.end)
    const foreign = new LoroDoc()
    foreign.getMap("m").set("x", 1)
    foreign.commit()
    await expect(
      pool.run("w", "main", "revertDoc", {
        target: { _tag: "Snapshot", snapshot: foreign.export({ mode: "snapshot" }) },
      }),
    ).rejects.toThrow(/not part of this document/)
  })
})
