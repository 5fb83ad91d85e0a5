import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { runL5, startL5Server } from "./model/runModel.js"

/**
 * L5 (full tier): the quick tier's model and commands (faults/model/), many more and
 * longer runs. `VIBESTACK_L5_RUNS` / `VIBESTACK_L5_COMMANDS` override the counts; the
 * seed is printed, replay with VIBESTACK_FAULT_SEED=N.
 */
const runs = Number(process.env.VIBESTACK_L5_RUNS ?? 200)
const maxCommands = Number(process.env.VIBESTACK_L5_COMMANDS ?? 60)

let server: Awaited<ReturnType<typeof startL5Server>>
beforeAll(async () => {
  server = await startL5Server()
})
afterAll(async () => {
  await server?.dispose()
})

describe("L5 model-based run (full)", () => {
  it(`[L5] ${runs} runs of up to ${maxCommands} commands: model and server agree`, { timeout: 3_600_000 }, async () => {
    const stats = await runL5(server.url, { runs, maxCommands, label: "full", retryWithOtherBytes: false })
    expect(stats.runs).toBeGreaterThanOrEqual(runs)
  })

  // Found the server keeping a duplicate's other bytes in its copy of the document (fixed, S12;
  // faults/model/README.md, "Found"); it shrank to Backup, Push, Push(retryOtherBytes), Restore(revert).
  it(`[L5][S3] with retries that reuse a key for other bytes: model and server agree`, {
    timeout: 3_600_000,
  }, async () => {
    const stats = await runL5(server.url, {
      runs: Math.ceil(runs / 4),
      maxCommands,
      label: "full, other-bytes retries",
      retryWithOtherBytes: true,
    })
    expect(stats.runs).toBeGreaterThanOrEqual(Math.ceil(runs / 4))
  })
})
