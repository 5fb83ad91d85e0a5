import { afterAll, describe, expect, it } from "vitest"
import { type Stage, startStage } from "./faultRun.js"
import { inspectableEnv, runFanOut, runIdleSockets, runPushLoad } from "./load.js"

/** The full tier (`npm run test:faults`): L1–L3 at TESTING.md's counts, each on its own server. */
const stages: Array<Stage> = []
afterAll(async () => {
  for (const s of stages) await s.dispose()
})

const stage = async (env: Record<string, string> = {}) => {
  const s = await startStage(env)
  stages.push(s)
  return s
}

describe("full load tier", () => {
  it("[L1] 2,000 idle sockets survive two heartbeat checks, still carry updates, and are released on close", async () => {
    const r = await runIdleSockets(await stage(inspectableEnv()), { sockets: 2_000, pings: 3 })
    expect(r.heldAtOpen).toBe(r.baseline + 2_000)
    expect(r.closesWhileIdle).toEqual([])
    expect(r.minPings).toBeGreaterThanOrEqual(3)
    expect(r.heldAfterIdle).toBe(r.baseline + 2_000)
    expect(r.pushStatus).toBe(200)
    expect(r.gaps).toEqual([])
    expect(r.released).toBe(r.baseline)
  }, 600_000)

  it("[L2] 100 workspaces × 2 clients, then one hot workspace of 20 clients: I1–I4 in every workspace", async () => {
    const r = await runPushLoad(await stage(), {
      workspaces: 100,
      clientsPerWorkspace: 2,
      edits: 10,
      hotClients: 20,
      hotEdits: 20,
      maxPauseMs: 30,
      quiesceMs: 300_000,
    })
    expect(r.bad).toEqual([])
    expect(r.rows).toBeGreaterThan(0)
    expect(r.acked).toBeGreaterThan(0)
  }, 1_200_000)

  it("[L3] one writer, 500 subscribers (+20 joining mid-stream): every update reaches every subscriber in seq order, no gaps", async () => {
    const r = await runFanOut(await stage(), { subscribers: 500, pushes: 200, lateJoiners: 20 })
    expect(r.bad).toEqual([])
    expect(r.acks).toBe(200)
    expect(r.head).toBe(200)
    expect(r.delivered).toBe(500 * 200)
  }, 600_000)
})
