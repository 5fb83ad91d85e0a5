import { afterAll, describe, expect, it } from "vitest"
import { LoroPool } from "./LoroPool.js"
import { fuzzTargets } from "./test/fuzzTargets.js"
import { MemoryDocSource } from "./test/MemoryDocSource.js"
import { runMutationFuzz } from "./test/mutationFuzz.js"

const source = new MemoryDocSource()
const pool = new LoroPool({ workers: 2, maxDocsPerWorker: 32, source })
afterAll(() => pool.close())

// POOL_FUZZ_SEED=n reruns one seed; otherwise a fixed seed and two fresh ones, all printed.
const seeds =
  process.env.POOL_FUZZ_SEED !== undefined
    ? [Number(process.env.POOL_FUZZ_SEED)]
    : [20261203, ...Array.from({ length: 2 }, () => Math.floor(Math.random() * 2 ** 31))]
const MUTANTS = Number(process.env.POOL_FUZZ_MUTANTS ?? 4000)

describe("[S25] mutation fuzz, full tier", () => {
  const targets = fuzzTargets(5000)
  it.each(seeds)(
    `[S25] ${MUTANTS} mutants per seed: no accepted mutant breaks a fresh snapshot read (seed %i)`,
    {
      timeout: 3_600_000,
    },
    async (seed) => {
      const stats = await runMutationFuzz({ pool, source, targets, seed, mutants: MUTANTS })
      console.log(`[S25] pool mutation fuzz seed ${seed}: ${JSON.stringify(stats)}`)
      expect(stats.escapes).toEqual([])
      expect(stats.accepted).toBeGreaterThan(0)
    },
  )
})
