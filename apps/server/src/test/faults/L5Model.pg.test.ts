import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { runL5, startL5Server } from "./model/runModel.js"

/**
 * L5 (quick tier): fast-check's model-based run of push, pull, reconnect, mint/revoke,
 * backup/restore and snapshot against one real server on real Postgres, each run on a
 * fresh workspace. The seed is printed; replay with VIBESTACK_FAULT_SEED=N.
 */
let server: Awaited<ReturnType<typeof startL5Server>>
beforeAll(async () => {
  server = await startL5Server()
})
afterAll(async () => {
  await server?.dispose()
})

describe("L5 model-based run (quick)", () => {
  it("[L5] model and server agree on logs, duplicates, roles, revocation, sockets and backups", async () => {
    const stats = await runL5(server.url, { runs: 15, maxCommands: 25, label: "quick", retryWithOtherBytes: true })
    expect(stats.runs).toBeGreaterThanOrEqual(15)
    expect(stats.commands).toBeGreaterThan(0)
  })
})
