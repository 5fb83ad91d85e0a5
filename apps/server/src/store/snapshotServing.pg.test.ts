import { createProject, createTask, TASK_DESCRIPTION_MAX, updateTask } from "@vibestack/schema"
import { LoroDoc } from "loro-crdt"
import pg from "pg"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { waitFor } from "../feed/test/feedServer.js"
import { waitProjected } from "../projection/test/projectionKit.js"
import { api, updateChain } from "../test/http.js"
import { query } from "../test/poisoning.js"
import { startTestServer, type TestServer } from "../test/server.js"

let server: TestServer
beforeAll(async () => {
  server = await startTestServer()
}, 120_000)
afterAll(() => server?.stop())

/** The document after the first `n` updates of `chain`, as a snapshot. */
const snapshotOf = (chain: ReadonlyArray<Uint8Array>, n: number) => {
  const d = new LoroDoc()
  d.importBatch(chain.slice(0, n))
  return Buffer.from(d.export({ mode: "snapshot" }))
}

describe("GET …/snapshot serves a kept snapshot only while Postgres still holds it", () => {
  it("[S24] a snapshot deleted from Postgres (as a repair deletes one holding quarantined entries) is not served again from memory", async () => {
    const http = api(server.url)
    const { workspaceId: ws, masterToken } = await http.register("Snapshots")
    const chain = updateChain(4)
    for (const [i, u] of chain.entries()) expect((await http.push(ws, masterToken, u, `k${i}`)).status).toBe(200)
    const insert = (seq: number) =>
      query(server.pg.url, "insert into doc_snapshots (workspace_id, doc_id, seq, bytes) values ($1, 'main', $2, $3)", [
        ws,
        seq,
        snapshotOf(chain, seq),
      ])
    await insert(3)
    const get = async () => {
      const r = await http.call("GET", `/api/v1/workspaces/${ws}/docs/main/snapshot`, { token: masterToken })
      expect(r.status).toBe(200)
      return { seq: Number(r.headers.get("x-vibestack-cursor")), bytes: Buffer.from(r.bytes) }
    }
    // Served from Postgres, then again (from memory, while the row is there).
    expect((await get()).seq).toBe(3)
    expect((await get()).bytes.equals(snapshotOf(chain, 3))).toBe(true)
    // Behind the server's back, no reset signal: the row at seq 3 goes, one at seq 2 is stored.
    await query(server.pg.url, "delete from doc_snapshots where workspace_id = $1 and seq = 3", [ws])
    await insert(2)
    const after = await get()
    expect(after.seq).toBe(2)
    expect(after.bytes.equals(snapshotOf(chain, 2))).toBe(true)
  })
})

/** Random letters: text Loro cannot shrink, so an update's size is what it holds. */
const noise = (n: number) =>
  Array.from({ length: n }, () => String.fromCharCode(97 + Math.floor(Math.random() * 26))).join("")

describe("a new device is served a stored snapshot, kept near by the projection", () => {
  it("[S27] the projection stores a snapshot when none is and when the log after it grows large beside it; one with a small tail is served as is", async () => {
    const http = api(server.url)
    const { workspaceId: ws, masterToken } = await http.register("Kept near")
    const doc = new LoroDoc()
    const next = (edit: () => void) => {
      const from = doc.oplogVersion()
      edit()
      doc.commit()
      return doc.export({ mode: "update", from })
    }
    const small = next(() => createProject(doc, { id: "p", name: "P", color: "#3b82f6" }))
    // ~400 KB: more than the tail a snapshot of a few hundred bytes may be served with.
    const big = next(() => {
      for (let i = 0; i < 4; i++)
        createTask(doc, {
          id: `big${i}`,
          projectId: "p",
          title: "big",
          description: noise(TASK_DESCRIPTION_MAX),
          position: { after: null, before: null },
        })
    })
    const last = next(() => updateTask(doc, "big0", { title: "renamed" }))
    const snapshotSeqs = async () =>
      (await query<{ seq: string }>(server.pg.url, "select seq from doc_snapshots where workspace_id = $1", [ws])).map(
        (r) => Number(r.seq),
      )
    const get = async () => {
      const r = await http.call("GET", `/api/v1/workspaces/${ws}/docs/main/snapshot`, { token: masterToken })
      expect(r.status).toBe(200)
      return { seq: Number(r.headers.get("x-vibestack-cursor")), bytes: r.bytes }
    }

    expect((await http.push(ws, masterToken, small, "k1")).status).toBe(200)
    // None stored: the projection stores one as soon as it has projected the document.
    await waitFor(async () => (await snapshotSeqs()).includes(1), 60_000, "a snapshot after the first update")
    expect((await http.push(ws, masterToken, big, "k2")).status).toBe(200)
    // Its tail (the big update) is large beside it: a new one is stored, without any request.
    await waitFor(async () => (await snapshotSeqs()).includes(2), 60_000, "a snapshot after the big update")
    expect((await http.push(ws, masterToken, last, "k3")).status).toBe(200)
    const db = new pg.Client({ connectionString: server.pg.url })
    await db.connect()
    await waitProjected(db, ws).finally(() => db.end())
    // A one-update tail is small: the stored snapshot at 2 is served as is (the client pulls 3).
    const served = await get()
    expect(served.seq).toBe(2)
    expect((await snapshotSeqs()).includes(3)).toBe(false)
    const expected = new LoroDoc()
    expected.importBatch([small, big])
    const loaded = new LoroDoc()
    loaded.import(served.bytes)
    const { projects, tasks } = loaded.toJSON() as Record<string, unknown>
    expect({ projects, tasks }).toEqual(expected.toJSON())
  })
})
