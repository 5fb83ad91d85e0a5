import { LoroDoc } from "loro-crdt"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { api } from "../test/http.js"
import { startTestServer, type TestServer } from "../test/server.js"
import { LoroPool } from "./LoroPool.js"
import { MemoryDocSource } from "./test/MemoryDocSource.js"
import { loadHostileFixtures, poisoningMutant, TestClient } from "./test/testFixtures.js"

const mutant = poisoningMutant(loadHostileFixtures().base)
let server: TestServer
beforeAll(async () => {
  server = await startTestServer()
})
afterAll(async () => {
  await server?.stop()
})

describe("[S25] issue 13 finding 2: the poisoning mutant", () => {
  it("[S25] poisons a document that takes it without validation (so the regression below means something)", async () => {
    const source = new MemoryDocSource()
    const pool = new LoroPool({ workers: 1, maxDocsPerWorker: 4, source })
    try {
      // importStored skips validation, as for bytes already in the log.
      expect(await pool.importStored("w", "d", [mutant])).toEqual([{ ok: true }])
      await pool.markCommitted("w", "d", source.append("w", "d", [mutant]))
      // The ground truth: a fresh snapshot of that document panics on a deep read.
      await expect(pool.run("w", "d", "readBack", undefined)).rejects.toThrow(/panicked|unreachable|Decode/)
    } finally {
      await pool.close()
    }
  })

  it("[S25] is refused over HTTP (422, nothing stored), and the document still reads from its snapshot and history", async () => {
    const http = api(server.url)
    const { workspaceId: ws, masterToken } = await http.register("Finding 2")
    const client = new TestClient(41n)
    expect((await http.push(ws, masterToken, client.addEntities(0, 3), "good-1")).status).toBe(200)

    const refused = await http.push(ws, masterToken, mutant, "mutant")
    expect(refused.status).toBe(422)
    expect(refused.json.error.kind).toBe("InvalidUpdate")
    expect(refused.json.error.message).toMatch(/Unknown\(247\)|not part of the layout/)
    // A document with no history refuses it just the same.
    expect((await http.push(ws, masterToken, mutant, "mutant-2", "other")).status).toBe(422)

    expect((await http.push(ws, masterToken, client.addEntities(3, 1), "good-2")).status).toBe(200)
    const pulled = await http.pull(ws, masterToken)
    expect(pulled.headers.get("x-vibestack-cursor")).toBe("2")

    // Every new device starts from the snapshot: it loads and reads in full, deep.
    const snap = await http.call("GET", `/api/v1/workspaces/${ws}/docs/main/snapshot`, { token: masterToken })
    expect(snap.status).toBe(200)
    const fresh = LoroDoc.fromSnapshot(snap.bytes)
    expect(fresh.toJSON()).toEqual(client.doc.toJSON())
    const history = await http.call("GET", `/api/v1/workspaces/${ws}/docs/main/history`, { token: masterToken })
    expect(history.status).toBe(200)
    expect(history.json.versions.map((v: { version: number }) => v.version)).toEqual([2, 1])
    const state = await http.call("GET", `/api/v1/workspaces/${ws}/docs/main/history/state?version=1`, {
      token: masterToken,
    })
    expect(state.status).toBe(200)
    expect(Object.keys(state.json.state.tasks).sort()).toEqual(["e0", "e1", "e2"])
  })
})
