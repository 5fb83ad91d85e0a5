import { afterAll, describe, expect, it } from "vitest"
import { startTestServer } from "../server.js"
import { type Stage, startStage } from "./faultRun.js"
import { runPartitions } from "./partitions.js"
import { runServerKills } from "./scenarios.js"

/** The full tier (`npm run test:faults`): the quick-tier scenarios at the counts, no reconnect nudge. */
const stages: Array<{ dispose: () => Promise<void> }> = []
afterAll(async () => {
  for (const s of stages) await s.dispose()
})

describe("full fault tier", () => {
  it("[F1] 5 clients, 10 SIGKILLs, clients reconnect on their own backoff", async () => {
    const stage: Stage = await startStage()
    stages.push(stage)
    const r = await runServerKills(stage, { kills: 10, clients: 5, editsPerRound: 20, nudge: false })
    expect(r.rows).toBeGreaterThan(0)
  }, 1_200_000)

  it("[F3] 5 clients, 3 rounds of every partition mode", async () => {
    const server = await startTestServer()
    stages.push({ dispose: server.stop })
    const r = await runPartitions({
      serverUrl: server.url,
      serverPort: server.port,
      databaseUrl: server.pg.url,
      clients: 5,
      rounds: 3,
      faultMs: 4_000,
    })
    expect(r.halfOpenDetectedMs.length).toBe(3)
    expect(r.healthMisses).toEqual([])
  }, 1_200_000)
})
