import { LoroDoc } from "loro-crdt"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { api, updateChain } from "../test/http.js"
import { query } from "../test/poisoning.js"
import { startTestServer, type TestServer } from "../test/server.js"

let server: TestServer
beforeAll(async () => {
  // New devices' shallow snapshots start 2 updates behind the head (S27).
  server = await startTestServer({ config: { shallowTrail: 2 } })
}, 120_000)
afterAll(() => server?.stop())

/** `count` updates that each replace one long value: history a new device does not need. */
const churnChain = (count: number): Array<Uint8Array> => {
  const doc = new LoroDoc()
  return Array.from({ length: count }, (_, i) => {
    const vv = doc.oplogVersion()
    // Not repetitive: snapshots are compressed.
    doc
      .getMap("meta")
      .set("note", Array.from({ length: 200 }, (_, j) => ((i * 7919 + j * 104_729) % 1_000_003).toString(36)).join(" "))
    doc.commit()
    return doc.export({ mode: "update", from: vv })
  })
}

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

describe("GET …/snapshot?history=recent (S27)", () => {
  const get = async (ws: string, token: string, query: string) => {
    const r = await api(server.url).call("GET", `/api/v1/workspaces/${ws}/docs/main/snapshot${query}`, { token })
    return { status: r.status, seq: Number(r.headers.get("x-vibestack-cursor")), bytes: new Uint8Array(r.bytes) }
  }

  it("[S27] serves a shallow snapshot rooted behind the head: the same state, far fewer bytes, every later update imports", async () => {
    const http = api(server.url)
    const { workspaceId: ws, masterToken } = await http.register("Shallow")
    const chain = churnChain(40)
    for (const [i, u] of chain.entries()) expect((await http.push(ws, masterToken, u, `c${i}`)).status).toBe(200)
    const full = await get(ws, masterToken, "")
    const recent = await get(ws, masterToken, "?history=recent")
    expect([full.status, recent.status]).toEqual([200, 200])
    expect(recent.seq).toBe(40)
    const doc = new LoroDoc()
    doc.import(recent.bytes)
    expect(doc.isShallow()).toBe(true)
    const whole = new LoroDoc()
    whole.import(full.bytes)
    expect(whole.isShallow()).toBe(false)
    expect(doc.toJSON()).toEqual(whole.toJSON())
    expect(recent.bytes.length).toBeLessThan(full.bytes.length / 4)
    // Its root is the update two behind the head: an update made on the 38th still imports.
    const late = new LoroDoc()
    late.importBatch(chain.slice(0, 38))
    const vv = late.oplogVersion()
    late.getMap("meta").set("late", 1)
    late.commit()
    expect(() => doc.import(late.export({ mode: "update", from: vv }))).not.toThrow()
    expect(doc.getMap("meta").get("late")).toBe(1)
  })

  it("[S27] a document with no more updates than the trail is sent whole", async () => {
    const http = api(server.url)
    const { workspaceId: ws, masterToken } = await http.register("Young")
    for (const [i, u] of updateChain(2).entries()) await http.push(ws, masterToken, u, `y${i}`)
    const recent = await get(ws, masterToken, "?history=recent")
    const doc = new LoroDoc()
    doc.import(recent.bytes)
    expect([recent.seq, doc.isShallow()]).toEqual([2, false])
  })

  it("[S27] atLeast: never a snapshot behind it, even when a kept one is near the head", async () => {
    const http = api(server.url)
    const { workspaceId: ws, masterToken } = await http.register("AtLeast")
    const chain = updateChain(6)
    for (const [i, u] of chain.entries()) await http.push(ws, masterToken, u, `a${i}`)
    await query(
      server.pg.url,
      "insert into doc_snapshots (workspace_id, doc_id, seq, bytes) values ($1, 'main', 4, $2)",
      [ws, snapshotOf(chain, 4)],
    )
    expect((await get(ws, masterToken, "")).seq).toBe(4)
    const at = await get(ws, masterToken, "?atLeast=6")
    expect(at.seq).toBe(6)
    const doc = new LoroDoc()
    doc.import(at.bytes)
    expect(doc.isShallow()).toBe(false)
    expect(Object.keys(doc.getMap("meta").toJSON())).toHaveLength(6)
  })

  it("[S27] bad parameters get 400", async () => {
    const { workspaceId: ws, masterToken } = await api(server.url).register("Params")
    for (const q of ["?history=everything", "?atLeast=-1", "?atLeast=x", "?atLeast=1.5"])
      expect((await get(ws, masterToken, q)).status, q).toBe(400)
  })
})
