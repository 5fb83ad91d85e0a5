import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { api, loroUpdate } from "../test/http.js"
import { startTestPg, type TestPg } from "../test/pg.js"
import { startTestServer, type TestServer } from "../test/server.js"
import { runL5 } from "./model/runModel.js"

/**
 * L5 (quick tier): fast-check's model-based run of push, pull, reconnect, mint/revoke,
 * backup/restore and snapshot against one real server on real Postgres, each run on a
 * fresh workspace. The seed is printed; replay with VIBESTACK_FAULT_SEED=N.
 */
let pg: TestPg
let server: TestServer
beforeAll(async () => {
  pg = await startTestPg()
  server = await startTestServer({ pg })
  // Warm the Loro pool so the first command does not pay the workers' start.
  const http = api(server.url)
  const { workspaceId, masterToken } = await http.register("L5 warm-up")
  expect((await http.push(workspaceId, masterToken, loroUpdate(1, 1n), "warm")).status).toBe(200)
})
afterAll(async () => {
  await server?.stop()
  await pg?.dispose()
})

describe("L5 model-based run (quick)", () => {
  it("[L5] model and server agree on logs, duplicates, roles, revocation, sockets and backups", async () => {
    const stats = await runL5(server.url, { runs: 15, maxCommands: 25, label: "quick", retryWithOtherBytes: true })
    expect(stats.runs).toBeGreaterThanOrEqual(15)
    expect(stats.commands).toBeGreaterThan(0)
  })
})
