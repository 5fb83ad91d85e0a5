import { LoroDoc } from "loro-crdt"
import type pg from "pg"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { api } from "../test/http.js"
import { startTestServer, type TestServer } from "../test/server.js"
import {
  connect,
  expectedTables,
  pushingWorkspace,
  readTables,
  startProjector,
  waitProjected,
} from "./test/projectionKit.js"
import { randomEdit, seededRandom } from "./test/workload.js"

let server: TestServer
let db: pg.Client

beforeAll(async () => {
  server = await startTestServer({ config: {} })
  db = await connect(server.pg.url)
})
afterAll(async () => {
  await db?.end()
  await server?.stop()
})

const newWorkspace = () => pushingWorkspace(server.url)

describe("Projector", () => {
  it("[I5] random workloads over several workspaces project to the documents' rows and equal a rebuild", async () => {
    const seed = Number(process.env.PROJECTION_SEED ?? Date.now() % 100_000)
    console.log(`projection workload seed ${seed}`)
    const random = seededRandom(seed)
    const spaces = await Promise.all([newWorkspace(), newWorkspace(), newWorkspace()])
    for (let round = 0; round < 6; round++) {
      for (const s of spaces) {
        const edits = 1 + Math.floor(random() * 15)
        for (let i = 0; i < edits; i++) {
          randomEdit(s.doc, random)
          if (random() < 0.4) await s.client.flush()
        }
        await s.client.flush()
      }
      for (const s of spaces) {
        await waitProjected(db, s.ws)
        expect(await readTables(db, s.ws), `seed ${seed} round ${round}`).toEqual(expectedTables(s.doc, s.ws))
      }
    }
    const before = await Promise.all(spaces.map((s) => readTables(db, s.ws)))
    const cli = await startProjector(server.pg.url, {}, true)
    try {
      for (const s of spaces) await cli.run((p) => p.rebuild(s.ws))
    } finally {
      await cli.stop()
    }
    const after = await Promise.all(spaces.map((s) => readTables(db, s.ws)))
    expect(after, `seed ${seed}`).toEqual(before)
  })

  it("[I5] a rebuild starts from the newest stored snapshot, and replays the log when that snapshot does not import", async () => {
    const s = await newWorkspace()
    const random = seededRandom(Number(process.env.PROJECTION_SEED ?? 5))
    for (let i = 0; i < 30; i++) randomEdit(s.doc, random)
    await s.client.flush()
    await waitProjected(db, s.ws)
    const head = async () =>
      Number((await db.query("select last_seq from docs where workspace_id = $1", [s.ws])).rows[0].last_seq)
    // A full snapshot covering the log up to its seq, as the projection or the push path stores one
    // (the projection may have stored one there already: this one replaces it).
    const snapshotSeq = await head()
    await db.query(
      `insert into doc_snapshots (workspace_id, doc_id, seq, bytes) values ($1, 'main', $2, $3)
       on conflict (workspace_id, doc_id, seq) do update set bytes = excluded.bytes`,
      [s.ws, snapshotSeq, Buffer.from(s.doc.export({ mode: "snapshot" }))],
    )
    for (let i = 0; i < 10; i++) randomEdit(s.doc, random)
    await s.client.flush()
    await waitProjected(db, s.ws)
    const cli = await startProjector(server.pg.url, {}, true)
    try {
      await cli.run((p) => p.rebuild(s.ws))
      expect(await readTables(db, s.ws)).toEqual(expectedTables(s.doc, s.ws))
      const [status] = await cli.run((p) => p.status(s.ws))
      expect(status?.snapshotSeq).toBe(snapshotSeq) // only a batch that started from it records it
      expect(status?.projectedSeq).toBe(await head())

      await db.query("update doc_snapshots set bytes = $2 where workspace_id = $1 and seq = $3", [
        s.ws,
        Buffer.from("not a loro snapshot"),
        snapshotSeq,
      ])
      await cli.run((p) => p.rebuild(s.ws))
      expect(await readTables(db, s.ws)).toEqual(expectedTables(s.doc, s.ws))
      const [after] = await cli.run((p) => p.status(s.ws))
      expect(after?.quarantined).toBe(0)
    } finally {
      await db.query("delete from doc_snapshots where workspace_id = $1", [s.ws])
      await cli.stop()
    }
  })

  it("projects an offline v1 client's done=true edit made after migration as status done", async () => {
    const s = await newWorkspace()
    // A v1 document: tasks carry `done`, no `status`, no schemaVersion.
    const v1 = new LoroDoc()
    const projects = v1.getMap("projects").setContainer("p1", new (await import("loro-crdt")).LoroMap())
    for (const [k, v] of Object.entries({ name: "Old", color: "#e11d48", archived: false, createdAt: 1 }))
      projects.set(k, v)
    const task = v1.getMap("tasks").setContainer("t1", new (await import("loro-crdt")).LoroMap())
    const fields = {
      projectId: "p1",
      title: "Legacy",
      done: false,
      priority: "none",
      sortKey: "a0",
      createdAt: 1,
      updatedAt: 1,
    }
    for (const [k, v] of Object.entries(fields)) task.set(k, v)
    v1.commit()
    s.doc.import(v1.export({ mode: "update" }))
    const { migrateDoc } = await import("@vibestack/migrations")
    expect(migrateDoc(s.doc)._tag).toBe("Migrated")
    await s.client.flush()
    await waitProjected(db, s.ws)
    const status = async () =>
      (await db.query("select status from tasks where workspace_id = $1 and id = 't1'", [s.ws])).rows[0]?.status
    expect(await status()).toBe("todo")
    // The v1 client was offline through the migration; it only knows `done`.
    task.set("done", true)
    v1.commit()
    const a = api(server.url)
    const r = await a.push(s.ws, s.token, v1.export({ mode: "update" }), "v1-edit")
    expect(r.status).toBe(200)
    await waitProjected(db, s.ws)
    expect(await status()).toBe("done")
    s.doc.import(v1.export({ mode: "update" }))
    expect(await readTables(db, s.ws)).toEqual(expectedTables(s.doc, s.ws))
  })

  it("reports lag in /healthz and counts projected updates in /metrics", async () => {
    const s = await newWorkspace()
    randomEdit(s.doc, seededRandom(1))
    await s.client.flush()
    await waitProjected(db, s.ws)
    const health = await (await fetch(`${server.url}/healthz`)).json()
    expect(JSON.stringify(health)).toMatch(/projection/i)
    const metrics = await (await fetch(`${server.url}/metrics`)).text()
    expect(metrics).toMatch(/vibestack_projection_updates_total \d+/)
  })
})
