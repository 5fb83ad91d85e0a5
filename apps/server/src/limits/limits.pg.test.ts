import { request } from "node:http"
import pgLib from "pg"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { captureLogs } from "../test/captureLogs.js"
import { api, loroUpdate } from "../test/http.js"
import { subscribed } from "../test/liveClient.js"
import { startTestPg, type TestPg } from "../test/pg.js"
import { startTestServer, type TestServer } from "../test/server.js"
import { defaultLimits, unlimited } from "./LimitsConfig.js"

/** A POST from a chosen loopback address (each 127.0.0.x is its own client to the limits). */
const postFrom = (
  from: string,
  port: number,
  path: string,
  body: string | Uint8Array,
  type = "application/json",
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; json: any }> =>
  new Promise((resolve, reject) => {
    const req = request(
      { host: "127.0.0.1", port, path, method: "POST", localAddress: from, headers: { "content-type": type } },
      (res) => {
        const chunks: Array<Buffer> = []
        res.on("data", (c) => chunks.push(c))
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString()
          let json: any
          try {
            json = JSON.parse(text)
          } catch {
            json = undefined
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, json })
        })
      },
    )
    req.on("error", reject)
    req.end(body)
  })

const metric = async (url: string, name: string): Promise<number> => {
  const text = await (await fetch(`${url}/metrics`)).text()
  const line = text.split("\n").find((l) => l.startsWith(`${name} `) || l.startsWith(name))
  return line ? Number(line.split(" ").at(-1)) : 0
}

describe("rate limits and quotas (S18, issue #13 finding 5a)", () => {
  let pg: TestPg
  /** Small rates: creation 2 per address, imports 1, pushes 3 per workspace, each refilling slowly. */
  let rates: TestServer
  /** Small quotas: 3 documents and 4,000 stored bytes per workspace. */
  let quotas: TestServer
  const logs = captureLogs()
  const slow = { perSecond: 1 / 600, burst: 0 }

  beforeAll(async () => {
    pg = await startTestPg()
    rates = await startTestServer({
      pg,
      config: {
        limits: {
          ...defaultLimits,
          workspaceCreates: { ...slow, burst: 2 },
          backupImports: { ...slow, burst: 1 },
          pushes: { perSecond: 0.2, burst: 3 },
        },
      },
    })
    quotas = await startTestServer({
      pg,
      config: {
        limits: {
          ...defaultLimits,
          workspaceCreates: unlimited,
          backupImports: unlimited,
          workspaceMaxDocs: 3,
          workspaceMaxBytes: 4_000,
        },
      },
    })
  })
  afterAll(async () => {
    logs.restore()
    await rates?.stop()
    await quotas?.stop()
    await pg?.dispose()
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

  it("[S18] workspace creation is limited per client address: 429 Overloaded with Retry-After; other addresses go on", async () => {
    const body = JSON.stringify({ name: "anon" })
    const first = [
      await postFrom("127.0.0.2", rates.port, "/api/v1/workspaces", body),
      await postFrom("127.0.0.2", rates.port, "/api/v1/workspaces", body),
    ]
    expect(first.map((r) => r.status)).toEqual([201, 201])
    for (let i = 0; i < 3; i++) {
      const r = await postFrom("127.0.0.2", rates.port, "/api/v1/workspaces", body)
      expect(r.status).toBe(429)
      expect(r.json.error.kind).toBe("Overloaded")
      expect(Number(r.headers["retry-after"])).toBeGreaterThanOrEqual(1)
    }
    // Path spellings the router does not serve are not a way around the limit.
    for (const path of [
      "/api/v1/workspaces/",
      "/api/v1//workspaces",
      "//api/v1/workspaces",
      "/API/v1/Workspaces",
      "/api/v1/workspaces?x=1",
      "/api/v1/workspaces;x",
      "/api/v1/%77orkspaces",
      "/api/v1/workspaces%2F",
      "http://127.0.0.1/api/v1/workspaces",
    ]) {
      const r = await postFrom("127.0.0.2", rates.port, path, body)
      expect([404, 429], path).toContain(r.status)
    }
    expect((await postFrom("127.0.0.3", rates.port, "/api/v1/workspaces", body)).status).toBe(201)
    expect(await metric(rates.url, 'vibestack_limit_refusals_total{limit="workspace_creates"}')).toBeGreaterThanOrEqual(
      3,
    )
    expect(await metric(rates.url, 'vibestack_limit_trips_total{limit="workspace_creates"}')).toBe(1)
    // Logged once for the trip, not once per refused request.
    expect(logs.text().match(/limit tripped: workspace_creates/g)?.length).toBe(1)
  })

  it("[S18] anonymous backup import is limited per client address before its body is read", async () => {
    const garbage = new Uint8Array(100).fill(7)
    const once = await postFrom("127.0.0.4", rates.port, "/api/v1/backups/import", garbage, "application/octet-stream")
    expect(once.status).toBeGreaterThanOrEqual(400)
    expect(once.status).not.toBe(429)
    const again = await postFrom("127.0.0.4", rates.port, "/api/v1/backups/import", garbage, "application/octet-stream")
    expect(again.status).toBe(429)
    expect(again.json.error.kind).toBe("Overloaded")
    expect(Number(again.headers["retry-after"])).toBeGreaterThanOrEqual(1)
  })

  it("[S18] pushes are limited per workspace: 429 + Retry-After over HTTP, PushRejected Overloaded on the socket; nothing stored", async () => {
    const http = api(rates.url)
    const a = await postFrom("127.0.0.5", rates.port, "/api/v1/workspaces", JSON.stringify({ name: "A" }))
    const b = await postFrom("127.0.0.5", rates.port, "/api/v1/workspaces", JSON.stringify({ name: "B" }))
    const [wsA, tA] = [a.json.workspaceId, a.json.masterToken]
    for (let i = 0; i < 3; i++)
      expect((await http.push(wsA, tA, loroUpdate(1, BigInt(i + 1)), `p${i}`)).status).toBe(200)
    const refused = await http.push(wsA, tA, loroUpdate(1, 10n), "p3")
    expect(refused.status).toBe(429)
    expect(refused.json.error.kind).toBe("Overloaded")
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThanOrEqual(1)
    const socket = await subscribed(rates.url, wsA, tA)
    socket.push("main", 1, "s1", loroUpdate(1, 11n))
    const rejected = await socket.waitFor(() => socket.texts.find((t) => t._tag === "PushRejected"))
    expect(rejected.error.kind).toBe("Overloaded")
    socket.socket.close()
    const info = await http.call("GET", `/api/v1/workspaces/${wsA}`, { token: tA })
    expect(info.json.docs[0].cursor).toBe(3)
    // Another workspace has its own budget.
    expect((await http.push(b.json.workspaceId, b.json.masterToken, loroUpdate(1, 12n), "b0")).status).toBe(200)
  })

  /** Pushes until a final answer: 429 (the quota is being confirmed) is retried, as clients do. */
  const pushUntilFinal = async (
    http: ReturnType<typeof api>,
    ws: string,
    t: string,
    bytes: Uint8Array,
    key: string,
    doc = "main",
  ) => {
    for (let attempt = 0; attempt < 60; attempt++) {
      const r = await http.push(ws, t, bytes, key, doc)
      if (r.status !== 429) return r
      await new Promise((res) => setTimeout(res, 250))
    }
    throw new Error("still 429 after 60 attempts")
  }

  it("[S18] a workspace at its document quota gets 413 PayloadTooLarge for a new document; its documents still take pushes", async () => {
    const http = api(quotas.url)
    const { workspaceId: ws, masterToken: t } = await http.register("Docs")
    // "main" exists from registration; two more fit.
    for (const doc of ["d1", "d2"])
      expect((await pushUntilFinal(http, ws, t, loroUpdate(1), `${doc}-0`, doc)).status).toBe(200)
    const over = await pushUntilFinal(http, ws, t, loroUpdate(1), "d3-0", "d3")
    expect(over.status).toBe(413)
    expect(over.json.error.kind).toBe("PayloadTooLarge")
    expect(over.json.error.message).toContain("3 documents")
    expect((await pushUntilFinal(http, ws, t, loroUpdate(1, 5n), "d1-1", "d1")).status).toBe(200)
    const docs = await query("select doc_id from docs where workspace_id = $1 order by doc_id", [ws])
    expect(docs.map((r) => r.doc_id)).toEqual(["d1", "d2", "main"])
  })

  it("[S18] a workspace past its byte quota gets 413 PayloadTooLarge; others are unaffected; docs.bytes matches the log", async () => {
    const http = api(quotas.url)
    const { workspaceId: ws, masterToken: t } = await http.register("Bytes")
    const other = await http.register("Other")
    let accepted = 0
    let final: Awaited<ReturnType<typeof http.push>> | undefined
    for (let i = 0; i < 40 && final === undefined; i++) {
      // About 600 bytes each: independent updates with many keys.
      const r = await pushUntilFinal(http, ws, t, loroUpdate(60, BigInt(100 + i)), `b${i}`)
      if (r.status === 200) accepted++
      else final = r
    }
    expect(final?.status).toBe(413)
    expect(final?.json.error.kind).toBe("PayloadTooLarge")
    expect(accepted).toBeGreaterThan(0)
    const [stored] = await query(
      "select coalesce(sum(octet_length(bytes)), 0)::int as n, count(*)::int as c from doc_updates where workspace_id = $1",
      [ws],
    )
    expect(stored.c).toBe(accepted)
    // The refused push would not have fit; what is stored stays within the quota.
    expect(stored.n).toBeLessThanOrEqual(4_000)
    const [kept] = await query("select coalesce(sum(bytes), 0)::int as n from docs where workspace_id = $1", [ws])
    expect(kept.n).toBe(stored.n)
    expect((await http.push(other.workspaceId, other.masterToken, loroUpdate(3), "o0")).status).toBe(200)
    expect(await metric(quotas.url, 'vibestack_limit_refusals_total{limit="workspace_bytes"}')).toBeGreaterThanOrEqual(
      1,
    )
  })

  it("[S18] docs.bytes follows every writer of the log: inserts, an in-place rewrite (as doc repair does), deletes", async () => {
    const http = api(quotas.url)
    const { workspaceId: ws, masterToken: t } = await http.register("Counted")
    for (let i = 0; i < 3; i++)
      expect((await pushUntilFinal(http, ws, t, loroUpdate(5, BigInt(500 + i)), `c${i}`)).status).toBe(200)
    const sums = async () => {
      const [log] = await query(
        "select coalesce(sum(octet_length(bytes)), 0)::int as n from doc_updates where workspace_id = $1",
        [ws],
      )
      const [docs] = await query("select coalesce(sum(bytes), 0)::int as n from docs where workspace_id = $1", [ws])
      return [log.n, docs.n]
    }
    const [log, kept] = await sums()
    expect(kept).toBe(log)
    await query("update doc_updates set bytes = $2 where workspace_id = $1 and seq = 2", [ws, Buffer.alloc(22)])
    expect((await sums())[1]).toBe((await sums())[0])
    await query("delete from doc_updates where workspace_id = $1 and seq = 3", [ws])
    const [after, keptAfter] = await sums()
    expect(keptAfter).toBe(after)
    expect(after).toBeLessThan(log)
  })
})
