import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { startTestServer, type TestServer } from "../server.js"
import { runPgRestarts } from "./pgRestarts.js"
import { RestartablePg } from "./RestartablePg.js"

let pg: RestartablePg
let server: TestServer
beforeAll(async () => {
  pg = await RestartablePg.start()
  const shared = {
    ...pg,
    url: pg.url,
    port: pg.port,
    dataDir: pg.dataDir,
    stop: async () => {},
    dispose: async () => {},
  }
  server = await startTestServer({ pg: shared })
})
afterAll(async () => {
  await server?.stop()
  await pg?.dispose()
})

/**
 * Full tier (two restarts with clients writing take ~30 s). It found two bugs, both fixed (see
 * README.md): a push while Postgres was down answered 500, not 503, and after an immediate
 * stop a push could hang past 10 s. `ListenAfterPgRestart.pg.test.ts` covers the quick tier.
 */
describe("F2 Postgres restarted under load", () => {
  it("[F2] fast and immediate stops: pushes during the outage fail retryably, never acked falsely; I1–I4 after", async () => {
    const r = await runPgRestarts({ pg, server, clients: 3, restarts: 2, downMs: 2_000 })
    // A push while the database is down is answered 503 (retry later), never 200 and never 500.
    expect(Object.keys(r.outageStatuses)).toEqual(["503"])
    expect(r.healthMisses).toEqual([])
    expect(r.rows).toBeGreaterThan(0)
  }, 300_000)
})
