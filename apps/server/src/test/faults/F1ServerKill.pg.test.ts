import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type Stage, startStage } from "./faultRun.js"
import { runServerKills } from "./scenarios.js"

let stage: Stage
beforeAll(async () => {
  stage = await startStage()
})
afterAll(async () => {
  await stage?.dispose()
})

describe("F1 server SIGKILLed during pushes (quick tier)", () => {
  it("[F1] 3 clients, 3 kills: I1–I4, each idempotency key stored once, clients reconnect", async () => {
    const r = await runServerKills(stage, { kills: 3, clients: 3, editsPerRound: 12 })
    expect(r.rows).toBeGreaterThan(0)
    expect(stage.server.starts).toBe(4)
  })
})
