import pgLib from "pg"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { loadHostileFixtures } from "../pool/test/testFixtures.js"
import { api, bulkyUpdates, loroUpdate, updateChain } from "../test/http.js"
import { liveClient, subscribed } from "../test/liveClient.js"
import { startTestPg, type TestPg } from "../test/pg.js"
import { startTestServer, type TestServer } from "../test/server.js"
import { forgetStoredSnapshots } from "../test/snapshots.js"

describe("live socket (real WebSockets, real Postgres, two nodes)", () => {
  let pg: TestPg
  let a: TestServer
  let b: TestServer
  let http: ReturnType<typeof api>
  let ws: string
  let master: string
  beforeAll(async () => {
    pg = await startTestPg()
    // A slow heartbeat: [L4] must see the buffer limit close a reader that stopped, not a missed ping.
    a = await startTestServer({ pg, config: { liveHeartbeatMs: 120_000 } })
    b = await startTestServer({ pg, config: { liveHeartbeatMs: 120_000 } })
    http = api(a.url)
    ;({ workspaceId: ws, masterToken: master } = await http.register("Live"))
  })
  afterAll(async () => {
    await a?.stop()
    await b?.stop()
    await pg?.dispose()
  })

  it("[L1][S9] sends committed updates to subscribers on every node, in seq order, and acks socket pushes", async () => {
    const onA = await subscribed(a.url, ws, master)
    const onB = await subscribed(b.url, ws, master)
    const chain = updateChain(5)
    for (const [i, u] of chain.slice(0, 3).entries()) expect((await http.push(ws, master, u, `h${i}`)).status).toBe(200)
    // Push the rest over node B's socket.
    onB.push("main", 1, "s3", chain[3]!)
    onB.push("main", 2, "s4", chain[4]!)
    onB.push("main", 3, "s4", chain[4]!)
    await onB.waitFor(() => onB.texts.filter((t) => t._tag === "PushAck").length === 3)
    // Acks may arrive in any order; seqs follow the order the pushes were sent (S11).
    const acks = onB.texts.filter((t) => t._tag === "PushAck").sort((x, y) => x.requestId - y.requestId)
    expect(acks.map((x) => [x.requestId, x.seq, x.duplicate])).toEqual([
      [1, 4, false],
      [2, 5, false],
      [3, 5, true],
    ])
    for (const c of [onA, onB]) {
      await c.waitFor(() => c.updates.length === 5)
      expect(c.updates.map((u) => u.seq)).toEqual([1, 2, 3, 4, 5])
      c.updates.forEach((u, i) => expect(Buffer.from(u.bytes).equals(Buffer.from(chain[i]!))).toBe(true))
      c.socket.close()
    }
  })

  it("[S11] a burst of dependent pushes on one socket is validated in the order it was sent", async () => {
    const doc = "burst"
    const own = await http.register("Burst")
    const c = await subscribed(a.url, own.workspaceId, own.masterToken, doc)
    // Each update depends on the one before: validated out of order, one would be refused.
    const chain = updateChain(40)
    chain.forEach((u, i) => c.push(doc, i + 1, `burst-${i}`, u))
    await c.waitFor(() => c.texts.filter((t) => t._tag === "PushAck" || t._tag === "PushRejected").length === 40)
    expect(c.texts.filter((t) => t._tag === "PushRejected")).toEqual([])
    const acks = c.texts.filter((t) => t._tag === "PushAck").sort((x, y) => x.requestId - y.requestId)
    expect(acks.map((x) => x.seq)).toEqual(chain.map((_, i) => i + 1))
    c.socket.close()
  })

  it("[S11][S1][S9] a batch validated while the one before it fails to commit is stored nowhere; retried, all land in order", async () => {
    const doc = "stale"
    const own = await http.register("Stale")
    const admin = new pgLib.Client(pg.url)
    await admin.connect()
    // The first push's commit fails after a while: the dependent pushes behind it are validated
    // meanwhile, on a pool copy that holds the first one.
    await admin.query(`create or replace function vibestack_test_fail() returns trigger language plpgsql as
      $$ begin perform pg_sleep(0.5); raise exception 'injected commit failure'; end $$`)
    await admin.query(`create trigger vibestack_test_fail before insert on doc_updates
      for each row when (new.idempotency_key = 'stale-0') execute function vibestack_test_fail()`)
    try {
      const c = await subscribed(a.url, own.workspaceId, own.masterToken, doc)
      const chain = updateChain(6)
      const answers = () => c.texts.filter((t) => t._tag === "PushAck" || t._tag === "PushRejected")
      // The first alone, then the rest while its commit is under way (the trigger sleeps).
      c.push(doc, 1, "stale-0", chain[0]!)
      await new Promise((r) => setTimeout(r, 250))
      chain.slice(1).forEach((u, i) => c.push(doc, i + 2, `stale-${i + 1}`, u))
      await c.waitFor(() => answers().length === 6)
      expect(answers().map((t) => (t._tag === "PushRejected" ? t.error.kind : "acked"))).toEqual(
        chain.map(() => "Unavailable"),
      )
      const stored = await admin.query("select count(*)::int as n from doc_updates where workspace_id = $1", [
        own.workspaceId,
      ])
      expect(stored.rows[0].n).toBe(0)
      // S9: nothing that failed to commit reached a subscriber (this socket is subscribed to the doc).
      expect(c.updates).toEqual([])
      await admin.query("drop trigger vibestack_test_fail on doc_updates")
      chain.forEach((u, i) => c.push(doc, 10 + i, `stale-${i}`, u))
      await c.waitFor(() => c.texts.filter((t) => t._tag === "PushAck").length === 6)
      const acks = c.texts.filter((t) => t._tag === "PushAck").sort((x, y) => x.requestId - y.requestId)
      expect(acks.map((x) => [x.seq, x.duplicate])).toEqual(chain.map((_, i) => [i + 1, false]))
      await c.waitFor(() => c.updates.length === 6)
      expect(c.updates.map((u) => u.seq)).toEqual(chain.map((_, i) => i + 1))
      c.socket.close()
    } finally {
      await admin.query("drop trigger if exists vibestack_test_fail on doc_updates")
      await admin.end()
    }
  })

  it("[S11][S1] a batch validated on top of a push its commit finds a duplicate is stored nowhere", async () => {
    const own = await http.register("Duplicate")
    // The key "dup-0" is stored through node B with other bytes than node A will be sent for it.
    const other = loroUpdate(1, 77n)
    expect((await api(b.url).push(own.workspaceId, own.masterToken, other, "dup-0", "dup")).status).toBe(200)
    const admin = new pgLib.Client(pg.url)
    await admin.connect()
    // A slow commit of another document holds the committer while the rest queues behind it.
    await admin.query(`create or replace function vibestack_test_slow() returns trigger language plpgsql as
      $$ begin perform pg_sleep(0.5); return new; end $$`)
    await admin.query(`create trigger vibestack_test_slow before insert on doc_updates
      for each row when (new.doc_id = 'slow') execute function vibestack_test_slow()`)
    try {
      const c = await subscribed(a.url, own.workspaceId, own.masterToken, "dup")
      const chain = updateChain(2)
      c.push("slow", 1, "slow-0", loroUpdate(1, 78n))
      c.push("dup", 2, "dup-0", chain[0]!)
      // Validated on node A's copy, which holds chain[0], while the commits above wait.
      await new Promise((r) => setTimeout(r, 250))
      c.push("dup", 3, "dup-1", chain[1]!)
      const answers = () => c.texts.filter((t) => t._tag === "PushAck" || t._tag === "PushRejected")
      await c.waitFor(() => answers().length === 3)
      const byRequest = answers().sort((x, y) => x.requestId - y.requestId)
      expect(
        byRequest.map((t) => (t._tag === "PushAck" ? `seq ${t.seq} duplicate ${t.duplicate}` : t.error.kind)),
      ).toEqual(["seq 1 duplicate false", "seq 1 duplicate true", "Unavailable"])
      // chain[1] builds on chain[0], which the log does not hold: it was not stored after it.
      const stored = await admin.query(
        "select seq, idempotency_key from doc_updates where workspace_id = $1 and doc_id = 'dup' order by seq",
        [own.workspaceId],
      )
      expect(stored.rows).toEqual([{ seq: "1", idempotency_key: "dup-0" }])
      c.socket.close()
    } finally {
      await admin.query("drop trigger if exists vibestack_test_slow on doc_updates")
      await admin.end()
    }
  })

  it("[S12] one document pushed through two nodes: each accepts updates built on the other's commits", async () => {
    const own = await http.register("Two nodes")
    const viaB = api(b.url)
    // Each update depends on the one before, and consecutive ones go through different nodes;
    // both nodes have the document loaded (and so cached) before the other node moves it on.
    const chain = updateChain(8)
    for (const [i, u] of chain.entries()) {
      const res = await (i % 2 === 0 ? http : viaB).push(own.workspaceId, own.masterToken, u, `two-${i}`)
      expect(res.status, `push ${i} through node ${i % 2 === 0 ? "a" : "b"}`).toBe(200)
    }
    // A snapshot exported by either node covers the whole log.
    for (const node of [http, viaB]) {
      await forgetStoredSnapshots(pg.url, own.workspaceId)
      const snap = await node.call("GET", `/api/v1/workspaces/${own.workspaceId}/docs/main/snapshot`, {
        token: own.masterToken,
      })
      expect(snap.status).toBe(200)
      expect(snap.headers.get("x-vibestack-cursor")).toBe(String(chain.length))
    }
  })

  it("[B5] closes a socket that does not authenticate in time, or sends frames first", async () => {
    const silent = liveClient(a.url, ws)
    await silent.opened
    expect((await silent.closed).code).toBe(4008)
    const binaryFirst = liveClient(a.url, ws)
    await binaryFirst.opened
    binaryFirst.socket.send(new Uint8Array([1, 2, 3]))
    expect((await binaryFirst.closed).code).toBe(4001)
    const garbageFirst = liveClient(a.url, ws)
    await garbageFirst.opened
    garbageFirst.socket.send("{not json")
    expect((await garbageFirst.closed).code).toBe(4001)
  })

  it("[B5] refuses a browser Origin that is not ours before upgrading", async () => {
    const evil = liveClient(a.url, ws, { origin: "https://evil.example" })
    await expect(evil.opened).rejects.toThrow(/403/)
    const ours = liveClient(a.url, ws, { origin: a.url })
    await ours.opened
    ours.socket.close()
  })

  it("[B4][B6][S6] bad tokens, other workspaces' tokens and viewers pushing are refused", async () => {
    const bad = liveClient(a.url, ws)
    await bad.opened
    bad.sendJson({ _tag: "Auth", token: "nope" })
    expect((await bad.closed).code).toBe(4001)
    const other = await http.register("Other")
    const cross = liveClient(a.url, ws)
    await cross.opened
    cross.sendJson({ _tag: "Auth", token: other.masterToken })
    expect((await cross.closed).code).toBe(4003)
    expect(cross.updates.length).toBe(0)

    const viewer = await http.mint(ws, master, "viewer")
    const v = await subscribed(a.url, ws, viewer.token)
    const before = (await http.call("GET", `/api/v1/workspaces/${ws}`, { token: master })).json.docs[0].cursor
    v.push("main", 9, "viewer", loroUpdate(1, 99n))
    const rej = await v.waitFor(() => v.texts.find((t) => t._tag === "PushRejected"))
    expect(rej.error.kind).toBe("Forbidden")
    expect((await http.call("GET", `/api/v1/workspaces/${ws}`, { token: master })).json.docs[0].cursor).toBe(before)
    v.socket.close()
  })

  it("[B4][S7] revoking a token closes its sockets on every node within 5 s", async () => {
    const editor = await http.mint(ws, master, "editor")
    const onA = await subscribed(a.url, ws, editor.token)
    const onB = await subscribed(b.url, ws, editor.token)
    const started = Date.now()
    expect(
      (await http.call("DELETE", `/api/v1/workspaces/${ws}/tokens/${editor.tokenId}`, { token: master })).status,
    ).toBe(204)
    const [ca, cb] = await Promise.all([onA.closed, onB.closed])
    expect(ca.code).toBe(4011)
    expect(cb.code).toBe(4011)
    expect(Date.now() - started).toBeLessThan(5_000)
    // The revoked token cannot come back.
    const again = liveClient(b.url, ws)
    await again.opened
    again.sendJson({ _tag: "Auth", token: editor.token })
    expect((await again.closed).code).toBe(4001)
  })

  it("[B4] a token revoked while a node's LISTEN was down is closed when the node reconnects", async () => {
    const editor = await http.mint(ws, master, "editor")
    const onA = await subscribed(a.url, ws, editor.token)
    const db = new pgLib.Client({ connectionString: pg.url })
    await db.connect()
    try {
      // Revoked with no NOTIFY: exactly what a node misses while its LISTEN connection is down.
      await db.query("update tokens set revoked_at = now() where id = $1", [editor.tokenId])
      const cut = await db.query(
        "select pg_terminate_backend(pid) from pg_stat_activity where application_name = 'vibestack-listen'",
      )
      expect(cut.rows.length).toBeGreaterThan(0)
      expect((await onA.closed).code).toBe(4011)
    } finally {
      await db.end()
    }
  })

  it("[B2][B3] oversized and fragmented messages get 1009, malformed ones 1007", async () => {
    const big = await subscribed(a.url, ws, master)
    big.socket.send(new Uint8Array(a.config.maxUpdateBytes + 10_000))
    expect((await big.closed).code).toBe(1009)
    const frag = await subscribed(a.url, ws, master)
    const chunk = new Uint8Array(256 * 1024)
    for (let i = 0; i < 8 && frag.socket.readyState === frag.socket.OPEN; i++) frag.socket.send(chunk, { fin: false })
    expect((await frag.closed).code).toBe(1009)
    for (const bad of [
      '{"_tag":"Subscribe","docId":5}',
      '{"_tag":"Nope"}',
      '{"__proto__":{"x":1},"_tag":"Ping","id":"a"}',
      "[]",
    ]) {
      const c = await subscribed(a.url, ws, master)
      c.socket.send(bad)
      expect((await c.closed).code, bad).toBe(1007)
    }
    const badFrame = await subscribed(a.url, ws, master)
    badFrame.socket.send(new Uint8Array([0, 0, 0, 200, 1]))
    expect((await badFrame.closed).code).toBe(1007)
    expect((await http.call("GET", "/healthz")).status).toBe(200)
  })

  it("[B1][S4][S13] hostile blobs pushed over the socket are rejected, stored nowhere, sent to no one, and cost only their tenant", {
    timeout: 600_000,
  }, async () => {
    const watcher = await subscribed(b.url, ws, master)
    const pusher = await subscribed(a.url, ws, master)
    const before = (await http.call("GET", `/api/v1/workspaces/${ws}`, { token: master })).json.docs[0].cursor
    const files = loadHostileFixtures().hostile.slice(0, 12)
    files.forEach((f, i) => pusher.push("main", 100 + i, `hostile-${i}`, f.bytes))
    pusher.push("main", 200, "garbage", new Uint8Array(64).fill(7))
    await pusher.waitFor(
      () => pusher.texts.filter((t) => t._tag === "PushRejected").length === files.length + 1,
      60_000,
    )
    for (const r of pusher.texts.filter((t) => t._tag === "PushRejected")) expect(r.error.kind).toBe("InvalidUpdate")
    expect((await http.call("GET", `/api/v1/workspaces/${ws}`, { token: master })).json.docs[0].cursor).toBe(before)
    // The crashes used up this workspace's crash budget (S13): its next push is refused before
    // it reaches Loro, even a valid one.
    pusher.push("main", 300, "after-hostile", loroUpdate(2, 4242n))
    await pusher.waitFor(() => pusher.texts.some((t) => t._tag === "PushRejected" && t.requestId === 300))
    expect(pusher.texts.find((t) => t._tag === "PushRejected" && t.requestId === 300)?.error.kind).toBe("Overloaded")
    // Another tenant is unaffected: its valid push flows to its watcher on the other node, and
    // the watcher of the hostile workspace received nothing at all.
    const other = await http.register("Bystander")
    const otherWatcher = await subscribed(b.url, other.workspaceId, other.masterToken)
    const otherPusher = await subscribed(a.url, other.workspaceId, other.masterToken)
    otherPusher.push("main", 1, "bystander", loroUpdate(2, 4243n))
    await otherWatcher.waitFor(() => otherWatcher.updates.length === 1)
    expect(otherWatcher.updates[0]!.seq).toBe(1)
    expect(watcher.updates).toEqual([])
    for (const c of [watcher, pusher, otherWatcher, otherPusher]) c.socket.close()
  })

  it("[L4] a subscriber that stops reading is closed; others get everything", async () => {
    const { workspaceId, masterToken } = await http.register("Busy")
    const healthy = await subscribed(a.url, workspaceId, masterToken)
    const slow = await subscribed(a.url, workspaceId, masterToken)
    // Stop reading at the TCP level: the server's send buffer for it fills up.
    const tcp = (slow.socket as unknown as { _socket: import("node:net").Socket })._socket
    tcp.on("error", () => {}) // the server cuts it off; the reset is expected
    tcp.pause()
    const updates = bulkyUpdates(24, 600_000)
    for (const [i, u] of updates.entries())
      expect((await http.push(workspaceId, masterToken, u, `big${i}`)).status).toBe(200)
    await healthy.waitFor(() => healthy.updates.length === updates.length, 60_000)
    tcp.resume()
    // The close frame sits behind the unread data, so the reader may only see the cut (1006).
    expect([4009, 1006]).toContain((await slow.closed).code)
    const metrics = await http.call("GET", "/metrics")
    expect(new TextDecoder().decode(metrics.bytes)).toMatch(/vibestack_live_slow_consumers_total [1-9]/)
    const info = await http.call("GET", `/api/v1/workspaces/${workspaceId}`, { token: masterToken })
    expect(info.json.docs[0].cursor).toBe(updates.length)
    expect(healthy.updates.map((u) => u.seq)).toEqual(updates.map((_, i) => i + 1))
    healthy.socket.close()
  })
})
