import { LoroDoc } from "loro-crdt"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
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
