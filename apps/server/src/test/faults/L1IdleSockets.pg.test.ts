import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type Stage, startStage } from "./faultRun.js"
import { inspectableEnv, runIdleSockets } from "./load.js"

// A short heartbeat, so two server pings (each one a liveness check) fit in a quick run.
const HEARTBEAT_MS = 3_000
let stage: Stage
beforeAll(async () => {
  stage = await startStage({ ...inspectableEnv(), VIBESTACK_LIVE_HEARTBEAT_MS: String(HEARTBEAT_MS) })
})
afterAll(async () => {
  await stage?.dispose()
})

describe("L1 idle sockets (quick tier)", () => {
  it("[L1] 200 idle sockets survive a heartbeat check, still carry updates, and are released on close", async () => {
    const r = await runIdleSockets(stage, { sockets: 200, pings: 2, heartbeatMs: HEARTBEAT_MS })
    expect(r.heldAtOpen).toBe(r.baseline + 200)
    expect(r.closesWhileIdle).toEqual([])
    expect(r.minPings).toBeGreaterThanOrEqual(2)
    expect(r.heldAfterIdle).toBe(r.baseline + 200)
    expect(r.pushStatus).toBe(200)
    expect(r.gaps).toEqual([])
    expect(r.released).toBe(r.baseline)
  })
})
