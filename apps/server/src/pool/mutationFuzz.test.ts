import { afterAll, describe, expect, it } from "vitest"
import { LoroPool } from "./LoroPool.js"
import { fuzzTargets } from "./test/fuzzTargets.js"
import { MemoryDocSource } from "./test/MemoryDocSource.js"
import { runMutationFuzz } from "./test/mutationFuzz.js"

const source = new MemoryDocSource()
const pool = new LoroPool({ workers: 2, maxDocsPerWorker: 16, source })
afterAll(() => pool.close())

describe("[S25] mutation fuzz, quick tier", () => {
  // Seed printed; rerun one with POOL_FUZZ_SEED=n. The full tier (*.faults.test.ts) runs thousands per seed.
  const seed = Number(process.env.POOL_FUZZ_SEED ?? 20261202)
  it(`[S25] no accepted mutant breaks a fresh snapshot read (seed ${seed})`, { timeout: 600_000 }, async () => {
    const stats = await runMutationFuzz({ pool, source, targets: fuzzTargets(2000), seed, mutants: 320 })
    console.log(`[S25] pool mutation fuzz seed ${seed}: ${JSON.stringify(stats)}`)
    expect(stats.escapes).toEqual([])
    expect(stats.mutants).toBe(320)
    // The fuzz reaches the accept path (mutated titles, timestamps…), not only Loro's decoder.
    expect(stats.accepted).toBeGreaterThan(0)
  })

  it(`[S25] mutants pushed in batches beside another mutant and the valid update: none escapes (seed ${seed})`, {
    timeout: 600_000,
  }, async () => {
    const stats = await runMutationFuzz({
      pool,
      source,
      targets: fuzzTargets(2000),
      seed: seed + 1,
      mutants: 120,
      batches: true,
    })
    console.log(`[S25] pool mutation fuzz in batches, seed ${seed + 1}: ${JSON.stringify(stats)}`)
    expect(stats.escapes).toEqual([])
    expect(stats.mutants).toBe(240)
    expect(stats.accepted).toBeGreaterThan(0)
  })
})
