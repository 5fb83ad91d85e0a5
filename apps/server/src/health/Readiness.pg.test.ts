import { Effect, Layer, Logger } from "effect"
import pg from "pg"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { ProjectionFaults } from "../projection/ProjectionFaults.js"
import { RestartablePg } from "../test/faults/RestartablePg.js"
import { api, loroUpdate } from "../test/http.js"
import { startTestServer, type TestServer } from "../test/server.js"
import { within } from "../test/within.js"
import { defaultHealthConfig } from "./HealthConfig.js"

interface Line {
  readonly message: unknown
  readonly logLevel: string
  readonly annotations: Record<string, unknown>
}
const lines: Array<Line> = []
const capture = Logger.replace(
  Logger.defaultLogger,
  Logger.map(Logger.structuredLogger, (e) => void lines.push(e as Line)),
)
/** Workspaces whose projection batches wait at their first step (the fault hook). */
const stalled = new Set<string>()
const faults = ProjectionFaults.of({
  step: (_label, target) =>
    Effect.gen(function* () {
      while (stalled.has(target.ws)) yield* Effect.sleep("50 millis")
    }),
})

let db: RestartablePg
let server: TestServer
let sql: pg.Client
beforeAll(async () => {
  db = await RestartablePg.start()
  const shared = { url: db.url, port: db.port, dataDir: db.dataDir, stop: async () => {}, dispose: async () => {} }
  server = await startTestServer({
    pg: shared,
    config: {
      health: { ...defaultHealthConfig, projectionLagSeconds: 2, pushQueue: 3, saturationWindowSeconds: 2 },
    },
    layer: Layer.merge(capture, Layer.succeed(ProjectionFaults, faults)),
  })
  sql = new pg.Client({ connectionString: db.url })
  sql.on("error", () => {}) // Postgres is stopped on purpose below; this client is not used after.
  await sql.connect()
}, 120_000)
afterAll(async () => {
  await within("the test's pg client end()", sql?.end().catch(() => {}) ?? Promise.resolve(), 60_000)
  await (server?.stop() ?? Promise.resolve())
  await db?.dispose()
}, 180_000)

type Ready = {
  status: number
  body: { status: string; checks: Array<{ name: string; status: string; reason: string }> }
}
const readyz = async (): Promise<Ready> => {
  const r = await fetch(`${server.url}/readyz`)
  return { status: r.status, body: (await r.json()) as Ready["body"] }
}
const check = (r: Ready, name: string) => r.body.checks.find((c) => c.name === name)!
/** Polls until `pred` holds (bounded: "never" is 60 s here); returns the last answer. */
const until = async (pred: (r: Ready) => boolean, also: () => Promise<void> = async () => {}): Promise<Ready> => {
  const deadline = Date.now() + 60_000
  for (;;) {
    await also()
    const r = await readyz()
    if (pred(r) || Date.now() > deadline) return r
    await new Promise((res) => setTimeout(res, 200))
  }
}
const allOk = (r: Ready) => r.status === 200 && r.body.status === "ok"

describe("readiness (/readyz) and request logs", () => {
  it("[O3] every response carries a request id; a sane incoming one is kept", async () => {
    const mine = await fetch(`${server.url}/healthz`, { headers: { "x-request-id": "lb-7f3a.42" } })
    expect(mine.headers.get("x-request-id")).toBe("lb-7f3a.42")
    const odd = await fetch(`${server.url}/healthz`, { headers: { "x-request-id": "no spaces <allowed>" } })
    expect(odd.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/)
    const missing = await fetch(`${server.url}/api/v1/nothing-here`)
    expect(missing.status).toBe(404)
    expect(missing.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/)
    expect((await until(allOk)).body.status).toBe("ok")
  })

  it("[O1] LISTEN killed: unavailable (503, naming LISTEN), then ok once it reconnects", async () => {
    const kill = async () => {
      await sql.query(
        "select pg_terminate_backend(pid) from pg_stat_activity where application_name = 'vibestack-listen'",
      )
    }
    const down = await until((r) => check(r, "listen").status === "unavailable", kill)
    expect(down.status).toBe(503)
    expect(check(down, "listen").reason).toContain("LISTEN connection down")
    expect(lines.some((l) => String(l.message).includes("LISTEN connection to Postgres lost"))).toBe(true)
    const back = await until(allOk)
    expect(back.status).toBe(200)
    expect(check(back, "listen").status).toBe("ok")
  })

  it("[O1][O4] a stalled projection turns degraded (lag in seconds) while other workspaces still project, then ok", async () => {
    const http = api(server.url)
    const stuck = await http.register("stuck")
    const other = await http.register("other")
    stalled.add(stuck.workspaceId)
    expect((await http.push(stuck.workspaceId, stuck.masterToken, loroUpdate(3), "s1")).status).toBe(200)
    const degraded = await until((r) => check(r, "projection").status === "degraded")
    expect(degraded.status).toBe(200) // degraded still serves
    expect(check(degraded, "projection").reason).toMatch(/projection lag 1 update\(s\) behind/)
    // The stuck workspace does not hold up another one.
    expect((await http.push(other.workspaceId, other.masterToken, loroUpdate(2), "o1")).status).toBe(200)
    const deadline = Date.now() + 60_000
    let projected = 0
    while (projected < 1 && Date.now() < deadline) {
      const r = await sql.query("select projected_seq from projection_state where workspace_id = $1", [
        other.workspaceId,
      ])
      projected = Number(r.rows[0]?.projected_seq ?? 0)
      if (projected < 1) await new Promise((res) => setTimeout(res, 100))
    }
    expect(projected).toBe(1)
    stalled.delete(stuck.workspaceId)
    expect(check(await until((r) => check(r, "projection").status === "ok"), "projection").status).toBe("ok")
  })

  it("[O1] a flooded pool turns degraded (saturated), then ok when the flood is over", async () => {
    const http = api(server.url)
    const { workspaceId: ws, masterToken: token } = await http.register("flood")
    let n = 0
    const flood = async () => {
      // Independent updates (one peer each), all to one document: they queue behind its tick.
      await Promise.all(
        Array.from({ length: 40 }, () => {
          n++
          return http.push(ws, token, loroUpdate(20, BigInt(1000 + n)), `flood-${n}`)
        }),
      )
    }
    const saturated = await until((r) => check(r, "pool").status === "degraded", flood)
    expect(check(saturated, "pool").reason).toContain("saturated")
    expect(saturated.status).toBe(200)
    expect(check(await until((r) => check(r, "pool").status === "ok"), "pool").status).toBe("ok")
  })

  it("[O1][O3] Postgres stopped: unavailable (503) naming the database; every 5xx logged once with its request id; ok after restart", async () => {
    const http = api(server.url)
    const { workspaceId: ws, masterToken: token } = await http.register("outage")
    await db.stop("fast")
    try {
      const down = await until((r) => check(r, "database").status === "unavailable")
      expect(down.status).toBe(503)
      expect(check(down, "database").reason).toMatch(/^Postgres unreachable: \S/)
      console.log(`[O1] database check while Postgres is stopped: ${check(down, "database").reason}`)
      const ids = ["outage-1", "outage-2", "outage-3"]
      const statuses: Array<number> = []
      for (const id of ids) {
        const r = await fetch(`${server.url}/api/v1/workspaces/${ws}/docs/main/updates`, {
          method: "POST",
          headers: {
            "x-request-id": id,
            authorization: `Bearer ${token}`,
            "content-type": "application/octet-stream",
            "idempotency-key": id,
          },
          body: loroUpdate(1),
        })
        await r.arrayBuffer()
        statuses.push(r.status)
        expect(r.headers.get("x-request-id")).toBe(id)
      }
      expect(statuses.every((s) => s >= 500)).toBe(true)
      // Logged after the response is built: give the log line a moment.
      await new Promise((res) => setTimeout(res, 500))
      for (const [i, id] of ids.entries()) {
        const mine = lines.filter((l) => l.annotations.requestId === id && l.logLevel === "ERROR")
        expect(mine, id).toHaveLength(1)
        expect(String(mine[0]!.message)).toContain(`HTTP ${statuses[i]} POST`)
        expect(mine[0]!.annotations.route).toBe("/api/v1/workspaces/:ws/docs/:doc/updates")
      }
    } finally {
      await db.start()
    }
    expect((await until(allOk)).body.status).toBe("ok")
    // I7: no token in any line.
    expect(JSON.stringify(lines)).not.toContain(token)
  })
})
