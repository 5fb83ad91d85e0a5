import jwt from "jsonwebtoken"
import { LoroDoc } from "loro-crdt"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { loadHostileFixtures } from "../pool/test/testFixtures.js"
import { loroChecksum, writeLoroChecksum } from "../store/blobHeader.js"
import { captureLogs } from "../test/captureLogs.js"
import { api, loroUpdate, updateChain } from "../test/http.js"
import { startTestServer, type TestServer } from "../test/server.js"
import { forgetStoredSnapshots } from "../test/snapshots.js"

const SECRET = "test-secret-that-is-long-enough-for-hs256"

describe("bad input over HTTP (TESTING.md B1-B4, B6)", () => {
  let srv: TestServer
  let http: ReturnType<typeof api>
  let ws: string
  let master: string
  let editor: { token: string; tokenId: string }
  let viewer: { token: string; tokenId: string }
  let other: { workspaceId: string; masterToken: string }
  let logs: ReturnType<typeof captureLogs>

  beforeAll(async () => {
    // I7: capture everything the server logs, to prove no token is ever written.
    logs = captureLogs()
    srv = await startTestServer()
    http = api(srv.url)
    ;({ workspaceId: ws, masterToken: master } = await http.register("A"))
    editor = await http.mint(ws, master, "editor")
    viewer = await http.mint(ws, master, "viewer")
    other = await http.register("B")
    for (const u of updateChain(3)) expect((await http.push(ws, master, u)).status).toBe(200)
    expect((await http.push(other.workspaceId, other.masterToken, loroUpdate(2))).status).toBe(200)
  })
  afterAll(async () => {
    logs?.restore()
    await srv?.stop()
  })

  const cursor = async (workspace = ws, token = master) =>
    (await http.call("GET", `/api/v1/workspaces/${workspace}`, { token })).json.docs[0].cursor as number
  const healthy = async () => expect((await http.call("GET", "/healthz")).status).toBe(200)

  it("[B1][S4] refuses garbage, empty, truncated, bit-flipped and oversized blobs; stores nothing", async () => {
    const start = await cursor()
    const valid = loroUpdate(4, 77n)
    const flipped = valid.slice()
    flipped[valid.length - 3]! ^= 0x10
    const truncated = valid.slice(0, valid.length - 5)
    const cases: Array<[string, Uint8Array, number]> = [
      ["garbage", new Uint8Array(200).map((_, i) => (i * 37) & 255), 422],
      ["empty", new Uint8Array(0), 422],
      ["truncated", truncated, 422],
      ["bit-flipped", flipped, 422],
      ["header only garbage magic", new TextEncoder().encode("loro-but-not-really-a-valid-update"), 422],
      ["oversized", new Uint8Array(srv.config.maxUpdateBytes + 1), 413],
    ]
    for (const [name, bytes, status] of cases) {
      const r = await http.push(ws, master, bytes, `bad-${name.replaceAll(" ", "-")}`)
      expect(r.status, name).toBe(status)
      expect(r.json?.error?.kind, name).toBe(status === 413 ? "PayloadTooLarge" : "InvalidUpdate")
    }
    expect(await cursor()).toBe(start)
    await healthy()
  })

  // Each crashing blob costs the pool a worker recycle: slow by design, so a generous bound.
  it("[B1][S13] refuses every hostile fixture and generated variants; the document keeps exporting", {
    timeout: 600_000,
  }, async () => {
    const { base, hostile } = loadHostileFixtures()
    expect(hostile.length).toBeGreaterThan(40)
    // The crashing fixtures sort first: the first `crashBudget` of them reach Loro and are
    // refused (422); then this workspace's budget is spent and the rest are refused before
    // they reach Loro (429). Nothing is ever accepted.
    const statuses: Array<number> = []
    for (const { name: f, bytes } of hostile) {
      const r = await http.push(ws, editor.token, bytes, `fx-${f}`)
      expect([422, 429], f).toContain(r.status)
      statuses.push(r.status)
    }
    expect(statuses.slice(0, srv.config.crashBudget)).toEqual(Array(srv.config.crashBudget).fill(422))
    expect(statuses.at(-1)).toBe(429)
    const blocked = await http.push(ws, editor.token, loroUpdate(3, 91n), "valid-but-blocked")
    expect(blocked.status).toBe(429)
    // Retry-After says how long the budget stays spent (the window minus the oldest crash's age).
    expect(Number(blocked.headers.get("retry-after"))).toBeGreaterThan(60)
    // Our own variants, in a workspace of their own: mutate a valid update, recompute the checksum.
    const victim = await http.register("Variants")
    for (const u of updateChain(3))
      expect((await http.push(victim.workspaceId, victim.masterToken, u)).status).toBe(200)
    let seed = 12345
    const rand = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff
      return seed
    }
    let accepted = 0
    for (let i = 0; i < 40; i++) {
      const m = base.slice()
      const at = 22 + (rand() % (m.length - 22))
      m[at]! ^= 1 << (rand() % 8)
      writeLoroChecksum(m)
      expect(loroChecksum(m)).toBeDefined()
      const r = await http.push(victim.workspaceId, victim.masterToken, m, `variant-${i}`)
      expect([200, 422, 429], `variant ${i}`).toContain(r.status)
      if (r.status === 200) accepted++
    }
    // Whatever was accepted, the document still exports a snapshot that loads.
    await forgetStoredSnapshots(srv.pg.url, victim.workspaceId)
    const snap = await http.call("GET", `/api/v1/workspaces/${victim.workspaceId}/docs/main/snapshot`, {
      token: victim.masterToken,
    })
    expect(snap.status).toBe(200)
    const doc = new LoroDoc()
    doc.import(snap.bytes)
    expect((doc.toJSON() as { meta: Record<string, number> }).meta.k0).toBe(0)
    expect(Number(snap.headers.get("x-vibestack-cursor"))).toBe(3 + accepted)
    // The other workspace is still served, and takes writes.
    expect((await http.pull(other.workspaceId, other.masterToken)).status).toBe(200)
    expect((await http.push(other.workspaceId, other.masterToken, loroUpdate(2, 92n))).status).toBe(200)
    await healthy()
  })

  it("[B2] oversized JSON bodies get 413, also when sent chunked without a length", async () => {
    const r = await http.call("POST", "/api/v1/workspaces", { json: { name: "x".repeat(100_000) } })
    expect(r.status).toBe(413)
    const big = JSON.stringify({ name: "x".repeat(200_000) })
    // Chunked: no length to check up front, so the cap applies while reading; the rest is
    // drained, so the client gets the 413 rather than a reset (S15).
    const chunked = await fetch(`${srv.url}/api/v1/workspaces`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: new ReadableStream({
        start(c) {
          c.enqueue(new TextEncoder().encode(big))
          c.close()
        },
      }),
      duplex: "half",
    } as RequestInit).then(
      (r) => r.status,
      () => "reset",
    )
    expect(chunked).toBe(413)
    await healthy()
    await healthy()
  })

  it("[B3] malformed JSON, wrong types, __proto__ keys and bad cursors get 400", async () => {
    const start = await cursor()
    const bodies = [
      "{",
      "null",
      "[]",
      '{"name": 5}',
      '{"name": ""}',
      '{"__proto__": {"admin": true}, "name": 1}',
      '{"id": "bad id!", "name": "x"}',
    ]
    for (const body of bodies) {
      const r = await http.call("POST", "/api/v1/workspaces", { body, headers: { "content-type": "application/json" } })
      expect(r.status, body).toBe(400)
      expect(r.json.error.kind, body).toBe("BadRequest")
    }
    for (const q of ["after=-1", "after=abc", "after=1e400", "after=99999999999999999999", "limit=0", "limit=100000"]) {
      const r = await http.call("GET", `/api/v1/workspaces/${ws}/docs/main/updates?${q}`, { token: master })
      expect(r.status, q).toBe(400)
    }
    const mint = await http.call("POST", `/api/v1/workspaces/${ws}/tokens`, { token: master, json: { role: "master" } })
    expect(mint.status).toBe(400)
    // A body without its media type: 415 (S16), kind BadRequest.
    const noType = await http.call("POST", `/api/v1/workspaces/${ws}/docs/main/updates`, {
      token: master,
      body: loroUpdate(1),
    })
    expect(noType.status).toBe(415)
    expect(noType.json.error.kind).toBe("BadRequest")
    const badKey = await http.push(ws, master, loroUpdate(1), "has space")
    expect(badKey.status).toBe(400)
    expect(await cursor()).toBe(start)
    await healthy()
  })

  it("[B4][S6][S7] every bad token is refused with 401/403 and changes nothing", async () => {
    const start = await cursor()
    const claims = { ws, role: "master" }
    const opts = { issuer: "vibestack", audience: "vibestack-api", jwtid: "nope" }
    const bad: Array<[string, string]> = [
      ["garbage", "not.a.jwt"],
      ["bad signature", jwt.sign(claims, "another-secret", { ...opts, expiresIn: 600 })],
      [
        "alg none",
        `${Buffer.from(JSON.stringify({ alg: "none", typ: "JWT" })).toString("base64url")}.${Buffer.from(JSON.stringify({ ...claims, iss: "vibestack", aud: "vibestack-api", exp: Math.floor(Date.now() / 1000) + 600 })).toString("base64url")}.`,
      ],
      ["expired", jwt.sign(claims, SECRET, { ...opts, expiresIn: -3600 })],
      ["no exp", jwt.sign(claims, SECRET, opts)],
      ["wrong audience", jwt.sign(claims, SECRET, { ...opts, audience: "someone-else", expiresIn: 600 })],
      ["unknown jti", jwt.sign(claims, SECRET, { ...opts, expiresIn: 600 })],
      ["empty", ""],
    ]
    for (const [name, token] of bad) {
      const r = await http.push(ws, token, loroUpdate(1), `tok-${name}`)
      expect(r.status, name).toBe(401)
      expect(r.json.error.kind, name).toBe("Unauthorized")
      const g = await http.call("GET", `/api/v1/workspaces/${ws}`, { token })
      expect(g.status, name).toBe(401)
    }
    const noHeader = await http.call("GET", `/api/v1/workspaces/${ws}/docs/main/updates`)
    expect(noHeader.status).toBe(401)

    // Revoked: works before, refused after (cache invalidated at once on this node).
    const doomed = await http.mint(ws, master, "editor", { label: "doomed" })
    expect((await http.pull(ws, doomed.token)).status).toBe(200)
    expect(
      (await http.call("DELETE", `/api/v1/workspaces/${ws}/tokens/${doomed.tokenId}`, { token: master })).status,
    ).toBe(204)
    expect((await http.pull(ws, doomed.token)).status).toBe(401)

    // Viewer reads, cannot push; editors cannot do master things.
    expect((await http.pull(ws, viewer.token)).status).toBe(200)
    expect((await http.push(ws, viewer.token, loroUpdate(1), "viewer-push")).status).toBe(403)
    for (const token of [viewer.token, editor.token]) {
      expect(
        (await http.call("POST", `/api/v1/workspaces/${ws}/tokens`, { token, json: { role: "editor" } })).status,
      ).toBe(403)
      expect((await http.call("GET", `/api/v1/workspaces/${ws}/tokens`, { token })).status).toBe(403)
      expect((await http.call("DELETE", `/api/v1/workspaces/${ws}/tokens/${viewer.tokenId}`, { token })).status).toBe(
        403,
      )
    }
    // The master token cannot be revoked through the API.
    const listed = await http.call("GET", `/api/v1/workspaces/${ws}/tokens`, { token: master })
    const masterRow = listed.json.tokens.find((t: { role: string }) => t.role === "master")
    expect(
      (await http.call("DELETE", `/api/v1/workspaces/${ws}/tokens/${masterRow.tokenId}`, { token: master })).status,
    ).toBe(404)
    // Listings never contain token strings.
    expect(JSON.stringify(listed.json)).not.toContain(editor.token)
    expect(await cursor()).toBe(start)
    await healthy()
  })

  it("[B6][S6] workspace A's token reveals nothing of B and changes nothing there", async () => {
    const B = other.workspaceId
    const before = await cursor(B, other.masterToken)
    const attempts = [
      http.call("GET", `/api/v1/workspaces/${B}`, { token: master }),
      http.pull(B, master),
      http.push(B, master, loroUpdate(1), "cross"),
      http.push(B, editor.token, loroUpdate(1), "cross2"),
      http.call("GET", `/api/v1/workspaces/${B}/docs/main/snapshot`, { token: master }),
      http.call("GET", `/api/v1/workspaces/${B}/tokens`, { token: master }),
      http.call("POST", `/api/v1/workspaces/${B}/tokens`, { token: master, json: { role: "editor" } }),
      http.call("GET", `/api/v1/workspaces/does-not-exist`, { token: master }),
    ]
    for (const r of await Promise.all(attempts)) {
      expect(r.status).toBe(403)
      expect(r.json.error.kind).toBe("Forbidden")
      expect(r.bytes.length).toBeLessThan(200)
    }
    expect(await cursor(B, other.masterToken)).toBe(before)
    // S6: the refusal reads the same whether or not the other workspace exists.
    const [existing, missing] = await Promise.all([
      http.call("GET", `/api/v1/workspaces/${B}`, { token: master }),
      http.call("GET", `/api/v1/workspaces/does-not-exist`, { token: master }),
    ])
    expect(existing.json).toEqual(missing.json)
  })

  it("[I7] registration: same id again is 409 for others, idempotent for the creator", async () => {
    const id = "client-made-id-1"
    const creatorKey = "k".repeat(32)
    const first = await http.call("POST", "/api/v1/workspaces", { json: { id, name: "Mine", creatorKey } })
    expect(first.status).toBe(201)
    const retry = await http.call("POST", "/api/v1/workspaces", { json: { id, name: "Mine", creatorKey } })
    expect(retry.status).toBe(201)
    expect(retry.json.workspaceId).toBe(id)
    expect((await http.call("GET", `/api/v1/workspaces/${id}`, { token: retry.json.masterToken })).status).toBe(200)
    const stranger = await http.call("POST", "/api/v1/workspaces", { json: { id, name: "Theirs" } })
    expect(stranger.status).toBe(409)
    const wrongKey = await http.call("POST", "/api/v1/workspaces", {
      json: { id, name: "Theirs", creatorKey: "x".repeat(32) },
    })
    expect(wrongKey.status).toBe(409)
  })

  it("[I7] never logs a token, and nothing above answered 5xx", () => {
    const text = logs.text()
    expect(text.length).toBeGreaterThan(0)
    for (const t of [master, editor.token, viewer.token, other.masterToken]) expect(text).not.toContain(t)
  })
})
