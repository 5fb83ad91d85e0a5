import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type Stage, startStage } from "./faultRun.js"
import { runFanOut } from "./load.js"

let stage: Stage
beforeAll(async () => {
  stage = await startStage()
})
afterAll(async () => {
  await stage?.dispose()
})

describe("L3 fan-out to many subscribers (quick tier)", () => {
  it("[L3] one writer, 100 subscribers (+10 joining mid-stream): every update reaches every subscriber in seq order, no gaps", async () => {
    const r = await runFanOut(stage, { subscribers: 100, pushes: 60, lateJoiners: 10 })
    expect(r.bad).toEqual([])
    expect(r.acks).toBe(60)
    expect(r.head).toBe(60)
    expect(r.delivered).toBe(100 * 60)
  })
})
