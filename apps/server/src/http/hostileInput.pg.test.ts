import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { connect } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Option, Redacted } from "effect"
import pgLib from "pg"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { signToken } from "../auth/jwt.js"
import { api, updateChain } from "../test/http.js"
import { liveClient } from "../test/liveClient.js"
import { startTestPg, type TestPg } from "../test/pg.js"
import { rawRequest, upgradeRequest } from "../test/rawHttp.js"
import { startTestServer, type TestServer } from "../test/server.js"

/** Issue #13's hostile requests against a real server (findings 1, 7, 8, 9). */
describe("hostile requests (issue #13)", () => {
  let pg: TestPg
  let srv: TestServer
  let web: TestServer
  /** Honours tokens 1 s past their expiry (the default is 60 s) so expiry can be watched. */
  let strict: TestServer
  const folder = mkdtempSync(join(tmpdir(), "vibestack-static-"))
  beforeAll(async () => {
    // A built app in dist/ and a sibling folder whose name starts the same (finding 7).
    mkdirSync(join(folder, "dist"))
    mkdirSync(join(folder, "dist.bak"))
    writeFileSync(join(folder, "dist", "index.html"), "<!doctype html><title>app</title>")
    writeFileSync(join(folder, "dist", "app.js"), "console.log('app')")
    writeFileSync(join(folder, "dist.bak", "secret.txt"), "SECRET-FROM-SIBLING")
    writeFileSync(join(folder, "secret-above.txt"), "SECRET-ABOVE")
    pg = await startTestPg()
    srv = await startTestServer({ pg })
    web = await startTestServer({ pg, config: { clientDist: Option.some(join(folder, "dist")) } })
    strict = await startTestServer({ pg, config: { clockToleranceSeconds: 1 } })
  })
  afterAll(async () => {
    await srv?.stop()
    await web?.stop()
    await strict?.stop()
    await pg?.dispose()
    rmSync(folder, { recursive: true, force: true })
  })

  const query = async (text: string, values: Array<unknown> = []) => {
    const db = new pgLib.Client({ connectionString: pg.url })
    await db.connect()
    try {
      return (await db.query(text, values)).rows
    } finally {
      await db.end()
    }
  }
  const count = async (table: string) => (await query(`select count(*)::int as n from ${table}`))[0].n as number
  const healthy = async () => expect((await api(srv.url).call("GET", "/healthz")).status).toBe(200)

  it("[S14][B5] an upgrade to a path with a malformed percent-escape is answered 400 and the server stays up", async () => {
    for (const path of [
      "/api/v1/workspaces/%E0%A4%A/live",
      "/api/v1/workspaces/%/live",
      "/api/v1/workspaces/%ff/live",
    ]) {
      const r = await rawRequest(srv.port, upgradeRequest(path))
      expect(r.status, path).toBe(400)
      expect(JSON.parse(r.body).error.kind, path).toBe("BadRequest")
      await healthy()
    }
  })

  it("[S17][B3] static files never leave the app's folder, also through a sibling whose name starts the same", async () => {
    const traversals = [
      "/..%2fdist.bak%2fsecret.txt",
      "/..%2Fdist.bak/secret.txt",
      "/%2e%2e/dist.bak/secret.txt",
      "/..%5cdist.bak%5csecret.txt",
      "/..%2fsecret-above.txt",
      "/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    ]
    for (const path of traversals) {
      const r = await rawRequest(web.port, `GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`)
      expect(r.status, path).toBeLessThan(500)
      expect(r.raw, path).not.toContain("SECRET")
    }
    // The app itself is still served, and unknown app paths fall back to index.html.
    const app = await fetch(`${web.url}/app.js`)
    expect(await app.text()).toContain("console.log")
    expect(await (await fetch(`${web.url}/w/some/route`)).text()).toContain("<title>app</title>")
    // Malformed escapes are a 4xx in the error shape (the router or the file server refuses them), not a 500.
    for (const path of ["/%E0%A4%A", "/%", "/assets/%ff%fe", "/a%00.js"]) {
      const bad = await rawRequest(web.port, `GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`)
      expect([400, 404], path).toContain(bad.status)
      expect(typeof JSON.parse(bad.body).error.kind, path).toBe("string")
    }
  })

  it("[S15][B3] a JSON body nested 30,000 deep is a 400 in the error shape", async () => {
    const deep = `{"name":${"[".repeat(30_000)}${"]".repeat(30_000)}}`
    for (const path of ["/api/v1/workspaces", "/api/v1/backups/import"]) {
      const r = await api(srv.url).call("POST", path, { body: deep, headers: { "content-type": "application/json" } })
      expect(r.status, path).toBeDefined()
      expect(r.status!, path).toBeLessThan(500)
      expect(typeof r.json?.error?.kind, path).toBe("string")
    }
    const r = await api(srv.url).call("POST", "/api/v1/workspaces", {
      body: deep,
      headers: { "content-type": "application/json" },
    })
    expect(r.status).toBe(400)
    expect(r.json.error.kind).toBe("BadRequest")
    await healthy()
  })

  it("[S15][B2] a chunked JSON body past the limit is answered 413, after 100 Continue, without a reset", async () => {
    const answer = await new Promise<{ raw: string; error?: string }>((resolve) => {
      const socket = connect({ port: srv.port, host: "127.0.0.1" })
      let raw = ""
      let sending = false
      socket.on("data", (d) => {
        raw += d.toString("latin1")
        if (!sending && raw.startsWith("HTTP/1.1 100")) {
          sending = true
          // 256 KiB in 16 KiB chunks, then the last chunk: four times the JSON limit.
          const chunk = `{"name":"${"x".repeat(16_000)}"}`
          const size = Buffer.byteLength(chunk).toString(16)
          for (let i = 0; i < 16; i++) socket.write(`${size}\r\n${chunk}\r\n`)
          socket.write("0\r\n\r\n")
        }
      })
      socket.on("error", (e) => resolve({ raw, error: String(e) }))
      socket.on("close", () => resolve({ raw }))
      socket.write(
        "POST /api/v1/workspaces HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" +
          "Transfer-Encoding: chunked\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n",
      )
    })
    expect(answer.error).toBeUndefined()
    const final = answer.raw.replace(/^HTTP\/1\.1 100 Continue\r\n\r\n/, "")
    expect(final).toMatch(/^HTTP\/1\.1 413 /)
    expect(
      JSON.parse(final.slice(final.indexOf("\r\n\r\n") + 4).replace(/^[0-9a-f]+\r\n|\r\n0\r\n\r\n$/g, "")).error.kind,
    ).toBe("PayloadTooLarge")
    await healthy()
  })

  it("[S16][B5] state-changing routes refuse foreign origins and non-JSON bodies (browser CSRF)", async () => {
    const http = api(srv.url)
    const before = await count("workspaces")
    const form = await http.call("POST", "/api/v1/workspaces", {
      body: "name=evil",
      headers: { "content-type": "application/x-www-form-urlencoded", origin: "http://evil.example" },
    })
    expect(form.status).toBe(403)
    expect(form.json.error.kind).toBe("Forbidden")
    // The right type from a foreign origin, and a form from no origin at all: both refused.
    const foreign = await http.call("POST", "/api/v1/workspaces", {
      json: { name: "evil" },
      headers: { origin: "http://evil.example" },
    })
    expect(foreign.status).toBe(403)
    for (const type of ["application/x-www-form-urlencoded", "text/plain", "multipart/form-data; boundary=x"]) {
      const r = await http.call("POST", "/api/v1/workspaces", {
        body: JSON.stringify({ name: "evil" }),
        headers: { "content-type": type },
      })
      expect(r.status, type).toBe(415)
      expect(r.json.error.kind, type).toBe("BadRequest")
    }
    expect(await count("workspaces")).toBe(before)
    // Our own origin (what the web app sends), and no Origin (CLI, headless clients), pass.
    for (const origin of [srv.url, `http://localhost:${srv.port}`, undefined]) {
      const r = await http.call("POST", "/api/v1/workspaces", {
        json: { name: "ours" },
        headers: origin === undefined ? {} : { origin },
      })
      expect(r.status, origin).toBe(201)
    }
  })

  it("[S16][B5] the live socket's Origin check does not trust the Host header (DNS rebinding)", async () => {
    const path = "/api/v1/workspaces/some-workspace/live"
    const rebinding = await rawRequest(
      srv.port,
      upgradeRequest(path, ["Origin: http://evil.example:1234"]).replace("Host: 127.0.0.1", "Host: evil.example:1234"),
    )
    expect(rebinding.status).toBe(403)
    expect(JSON.parse(rebinding.body).error.kind).toBe("Forbidden")
    const ours = await rawRequest(srv.port, upgradeRequest(path, [`Origin: ${srv.url}`]))
    expect(ours.status).toBe(101)
  })

  it("[B4][S8] an expired token's open socket is closed (Fault + 4011) once past the clock tolerance; pushes stop", async () => {
    const http = api(strict.url)
    const { workspaceId: ws, masterToken } = await http.register("Expiring")
    // Minting allows 60 s at least: make a 2-second editor token the way the server does.
    const tokenId = `short-${Date.now()}`
    const expiresAt = new Date(Date.now() + 2_000)
    await query(
      "insert into tokens (id, workspace_id, role, label, expires_at) values ($1, $2, 'editor', 'short', $3)",
      [tokenId, ws, expiresAt],
    )
    const token = signToken(Redacted.value(Option.getOrThrow(strict.config.jwtSecret)), {
      tokenId: tokenId as never,
      workspaceId: ws as never,
      role: "editor",
      expiresAt,
    })
    const c = liveClient(strict.url, ws)
    await c.opened
    c.sendJson({ _tag: "Auth", token, protocolVersion: 2 })
    await c.waitFor(() => c.texts.find((t) => t._tag === "AuthOk"))
    const chain = updateChain(2)
    c.push("main", 1, "before-expiry", chain[0]!)
    await c.waitFor(() => c.texts.find((t) => t._tag === "PushAck" && t.requestId === 1))
    const closed = await c.closed
    expect(closed.code).toBe(4011)
    expect(closed.reason).toBe("token expired")
    expect(c.texts.find((t) => t._tag === "Fault")).toMatchObject({ kind: "Unauthorized", message: "token expired" })
    // Not before the token stopped being honoured: its JWT exp (whole seconds) plus the 1 s tolerance.
    const exp = JSON.parse(Buffer.from(token.split(".")[1]!, "base64url").toString()).exp as number
    expect(Date.now()).toBeGreaterThanOrEqual(exp * 1000 + 1000 - 20)
    // HTTP agrees, and nothing after the close was stored.
    expect((await http.push(ws, token, chain[1]!, "after-expiry")).status).toBe(401)
    const info = await http.call("GET", `/api/v1/workspaces/${ws}`, { token: masterToken })
    expect(info.json.docs[0].cursor).toBe(1)
    // A master token (ten years) arms no timer that fires early (setTimeout's 2^31 ms limit).
    const m = liveClient(strict.url, ws)
    await m.opened
    m.sendJson({ _tag: "Auth", token: masterToken, protocolVersion: 2 })
    await m.waitFor(() => m.texts.find((t) => t._tag === "AuthOk"))
    await new Promise((r) => setTimeout(r, 500))
    expect(m.socket.readyState).toBe(m.socket.OPEN)
    m.socket.close()
  })

  it("[S14][B2] surface-fuzz regressions: an unknown Expect is a 417 in the error shape (seed 1502432054); upgrade requests with unread bodies do not leave sockets open (seed 451819777)", async () => {
    const expect417 = await rawRequest(
      srv.port,
      "GET / HTTP/1.1\r\nHost: x\r\nExpect: nonsense\r\nConnection: close\r\n\r\n",
    )
    expect(expect417.status).toBe(417)
    expect(JSON.parse(expect417.body).error.kind).toBe("BadRequest")
    const body = "a".repeat(71_680)
    for (const path of ["/history/%2e%2e?", "/api/v1/workspaces/some-ws/live", "/api/v1/workspaces/%/live"]) {
      const r = await rawRequest(
        srv.port,
        `${upgradeRequest(path, [`Content-Length: ${body.length}`]).replace(/\r\n\r\n$/, "\r\n\r\n")}${body}`,
      )
      expect(r.status, path).toBeDefined()
      expect(r.status!, path).toBeLessThan(500)
    }
    const open = await new Promise<number>((resolve) => {
      const deadline = Date.now() + 20_000
      const poll = () =>
        srv.node.getConnections((_e, n) => (n === 0 || Date.now() > deadline ? resolve(n) : setTimeout(poll, 200)))
      poll()
    })
    expect(open).toBe(0)
  })
})
