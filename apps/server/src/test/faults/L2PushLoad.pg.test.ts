import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type Stage, startStage } from "./faultRun.js"
import { runPushLoad } from "./load.js"

let stage: Stage
beforeAll(async () => {
  stage = await startStage()
})
afterAll(async () => {
  await stage?.dispose()
})

describe("L2 push load (quick tier)", () => {
  it("[L2] 20 workspaces × 2 clients, then one hot workspace of 6 clients: I1–I4 in every workspace", async () => {
    const r = await runPushLoad(stage, {
      workspaces: 20,
      clientsPerWorkspace: 2,
      edits: 8,
      hotClients: 6,
      hotEdits: 15,
      maxPauseMs: 30,
      quiesceMs: 60_000,
    })
    expect(r.bad).toEqual([])
    expect(r.rows).toBeGreaterThan(0)
    expect(r.acked).toBeGreaterThan(0)
  })
})
