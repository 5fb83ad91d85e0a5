import { decodeUpdates } from "@vibestack/shared"
import pg from "pg"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { api, bulkyUpdates, loroUpdate, updateChain } from "../test/http.js"
import { startTestServer, type TestServer } from "../test/server.js"

describe("byte store over HTTP (real Postgres)", () => {
  let srv: TestServer
  let http: ReturnType<typeof api>
  beforeAll(async () => {
    srv = await startTestServer()
    http = api(srv.url)
  })
  afterAll(() => srv?.stop())

  it("round-trips real Loro updates: push, pull, snapshot", async () => {
    const { workspaceId: ws, masterToken: t } = await http.register()
    const chain = updateChain(5)
    for (const [i, u] of chain.entries()) {
      const r = await http.push(ws, t, u, `key-${i}`)
      expect(r.status).toBe(200)
      expect(r.json).toEqual({ seq: i + 1, duplicate: false })
    }
    const pulled = await http.pull(ws, t, 0)
    expect(pulled.headers.get("x-vibestack-cursor")).toBe("5")
    expect(pulled.headers.get("x-vibestack-more")).toBeNull()
    const records = decodeUpdates(pulled.bytes)
    if (typeof records === "string") throw new Error(records)
    expect(records.map((r) => r.seq)).toEqual([1, 2, 3, 4, 5])
    records.forEach((r, i) => expect(Buffer.from(r.bytes).equals(Buffer.from(chain[i]!))).toBe(true))

    // A new device: the snapshot (a stored one may lag the head), then the log after it.
    const device = await http.newDevice(ws, t)
    expect(device.snapshotCursor).toBeGreaterThanOrEqual(1)
    expect(device.cursor).toBe(5)
    expect(device.doc.toJSON()).toEqual({ meta: { k0: 0, k1: 1, k2: 2, k3: 3, k4: 4 } })

    const info = await http.call("GET", `/api/v1/workspaces/${ws}`, { token: t })
    expect(info.json).toEqual({ workspaceId: ws, name: "Acme", role: "master", docs: [{ docId: "main", cursor: 5 }] })
  })

  it("[S9] a push's commit NOTIFY names the committing node (its origin), the same for every push of that node", async () => {
    const listener = new pg.Client({ connectionString: srv.pg.url })
    await listener.connect()
    try {
      const payloads: Array<{ ws: string; seq: number; n?: unknown }> = []
      listener.on("notification", (m) => payloads.push(JSON.parse(m.payload ?? "{}")))
      await listener.query("LISTEN vibestack_updates")
      const { workspaceId: ws, masterToken: t } = await http.register()
      for (const u of updateChain(2)) expect((await http.push(ws, t, u)).status).toBe(200)
      for (let i = 0; i < 100 && payloads.filter((p) => p.ws === ws).length < 2; i++)
        await new Promise((r) => setTimeout(r, 20))
      const mine = payloads.filter((p) => p.ws === ws)
      expect(mine.map((p) => p.seq)).toEqual([1, 2])
      expect(typeof mine[0]!.n).toBe("string")
      expect((mine[0]!.n as string).length).toBeGreaterThan(0)
      expect(mine[1]!.n).toBe(mine[0]!.n)
    } finally {
      await listener.end()
    }
  })

  it("pages pulls by limit and reports more", async () => {
    const { workspaceId: ws, masterToken: t } = await http.register()
    for (const u of updateChain(7)) expect((await http.push(ws, t, u)).status).toBe(200)
    const seen: Array<number> = []
    let after = 0
    for (let page = 0; page < 10; page++) {
      const r = await http.pull(ws, t, after, 3)
      const recs = decodeUpdates(r.bytes)
      if (typeof recs === "string") throw new Error(recs)
      seen.push(...recs.map((x) => x.seq))
      after = Number(r.headers.get("x-vibestack-cursor"))
      if (r.headers.get("x-vibestack-more") !== "1") break
    }
    expect(seen).toEqual([1, 2, 3, 4, 5, 6, 7])
    const empty = await http.pull(ws, t, 7)
    expect(empty.bytes.length).toBe(0)
    expect(empty.headers.get("x-vibestack-cursor")).toBe("7")
  })

  it("cuts pull pages at the page's byte budget, the first update always, and gives back updates larger than a read piece whole", async () => {
    // Its own server, whose pages hold at most ~1.5 MB: three updates of ~1.2 MB (over one
    // 1 MiB read piece each, `storedBytes.ts`) come one per page, each with "more" but the last.
    const small = await startTestServer({ config: { pullPageBytes: 1_500_000, maxUpdateBytes: 4 * 1024 * 1024 } })
    try {
      const h = api(small.url)
      const { workspaceId: ws, masterToken: t } = await h.register()
      const updates = bulkyUpdates(3, 1_200_000)
      for (const u of updates) expect((await h.push(ws, t, u)).status).toBe(200)
      const pages: Array<{ seqs: Array<number>; more: boolean }> = []
      let after = 0
      for (let page = 0; page < 5; page++) {
        const r = await h.pull(ws, t, after, 100)
        const recs = decodeUpdates(r.bytes)
        if (typeof recs === "string") throw new Error(recs)
        recs.forEach((x) => expect(Buffer.from(x.bytes).equals(Buffer.from(updates[x.seq - 1]!))).toBe(true))
        const more = r.headers.get("x-vibestack-more") === "1"
        pages.push({ seqs: recs.map((x) => x.seq), more })
        after = Number(r.headers.get("x-vibestack-cursor"))
        if (!more) break
      }
      expect(pages).toEqual([
        { seqs: [1], more: true },
        { seqs: [2], more: true },
        { seqs: [3], more: false },
      ])
      // Small updates after them share a page up to the budget.
      for (const u of updateChain(4)) expect((await h.push(ws, t, u)).status).toBe(200)
      const rest = await h.pull(ws, t, 3, 100)
      const recs = decodeUpdates(rest.bytes)
      if (typeof recs === "string") throw new Error(recs)
      expect(recs.map((x) => x.seq)).toEqual([4, 5, 6, 7])
      expect(rest.headers.get("x-vibestack-more")).toBeNull()
    } finally {
      await small.stop()
    }
  })

  it("[S3] stores a retried push once and answers with the first result", async () => {
    const { workspaceId: ws, masterToken: t } = await http.register()
    const u = loroUpdate(3)
    const first = await http.push(ws, t, u, "retry-me")
    const again = await Promise.all([1, 2, 3].map(() => http.push(ws, t, u, "retry-me")))
    expect(first.json).toEqual({ seq: 1, duplicate: false })
    for (const r of again) expect(r.json).toEqual({ seq: 1, duplicate: true })
    const recs = decodeUpdates((await http.pull(ws, t, 0)).bytes)
    expect(Array.isArray(recs) && recs.length).toBe(1)
  })

  it("[S1][S10] a push whose commit fails is answered 503 Unavailable in the error shape and stored nowhere; retried with its key, it lands once", async () => {
    const { workspaceId: ws, masterToken: t } = await http.register()
    const admin = new pg.Client(srv.pg.url)
    await admin.connect()
    // The insert runs inside the push transaction: raising there makes the commit fail.
    await admin.query(`create or replace function vibestack_test_fail() returns trigger language plpgsql as
      $$ begin raise exception 'injected commit failure'; end $$`)
    await admin.query(`create trigger vibestack_test_fail before insert on doc_updates
      for each row when (new.workspace_id = '${ws}') execute function vibestack_test_fail()`)
    const u = loroUpdate(2)
    try {
      const failed = await http.push(ws, t, u, "commit-fails")
      expect(failed.status).toBe(503)
      expect(failed.json).toEqual({ error: { kind: "Unavailable", message: expect.any(String) } })
      const stored = await admin.query("select count(*)::int as n from doc_updates where workspace_id = $1", [ws])
      expect(stored.rows[0].n).toBe(0)
      expect((await http.pull(ws, t, 0)).bytes.length).toBe(0)
    } finally {
      await admin.query("drop trigger if exists vibestack_test_fail on doc_updates")
      await admin.end()
    }
    const retried = await http.push(ws, t, u, "commit-fails")
    expect(retried.json).toEqual({ seq: 1, duplicate: false })
    const recs = decodeUpdates((await http.pull(ws, t, 0)).bytes)
    if (typeof recs === "string") throw new Error(recs)
    expect(recs.map((r) => r.seq)).toEqual([1])
  })

  it("[S2][F7] a tailing reader never skips a seq while writers' commits are delayed at random", async () => {
    const { workspaceId: ws, masterToken: t } = await http.register()
    // Delay every insert inside its push transaction, after its seq is allocated, before commit.
    const admin = new pg.Client(srv.pg.url)
    await admin.connect()
    await admin.query(`create or replace function vibestack_test_delay() returns trigger language plpgsql as
      $$ begin perform pg_sleep(random() * 0.03); return new; end $$`)
    await admin.query(`create trigger vibestack_test_delay before insert on doc_updates
      for each row when (new.workspace_id = '${ws}') execute function vibestack_test_delay()`)
    try {
      const writers = 12
      const perWriter = 10
      const docs = ["main", "second"]
      const acked = new Map<string, Set<number>>(docs.map((d) => [d, new Set()]))
      const seen = new Map<string, Set<number>>(docs.map((d) => [d, new Set()]))
      let writing = true
      const reader = (async () => {
        const cursor = new Map(docs.map((d) => [d, 0]))
        for (let round = 0; round < 5000; round++) {
          const done = !writing
          for (const d of docs) {
            const r = await http.pull(ws, t, cursor.get(d)!, 1000, d)
            const recs = decodeUpdates(r.bytes)
            if (typeof recs === "string") throw new Error(recs)
            for (const rec of recs) seen.get(d)!.add(rec.seq)
            cursor.set(d, Number(r.headers.get("x-vibestack-cursor")))
          }
          if (done) return cursor
          await new Promise((res) => setTimeout(res, 2))
        }
        throw new Error("reader did not finish")
      })()
      await Promise.all(
        Array.from({ length: writers }, async (_, w) => {
          for (let i = 0; i < perWriter; i++) {
            const d = docs[(w + i) % docs.length]!
            const r = await http.push(ws, t, loroUpdate(1, BigInt(w * 1000 + i + 1)), `w${w}-${i}`, d)
            expect(r.status).toBe(200)
            acked.get(d)!.add(r.json.seq)
          }
        }),
      )
      writing = false
      const cursors = await reader
      for (const d of docs) {
        // I2: the union of incremental pulls equals a full pull up to the last cursor.
        const full = decodeUpdates((await http.pull(ws, t, 0, 10_000, d)).bytes)
        if (typeof full === "string") throw new Error(full)
        const upTo = full.filter((r) => r.seq <= cursors.get(d)!).map((r) => r.seq)
        expect([...seen.get(d)!].sort((a, b) => a - b)).toEqual(upTo)
        expect(upTo.length).toBe(acked.get(d)!.size)
        expect(new Set(upTo)).toEqual(acked.get(d))
      }
    } finally {
      await admin.query("drop trigger if exists vibestack_test_delay on doc_updates")
      await admin.end()
    }
  })
})
