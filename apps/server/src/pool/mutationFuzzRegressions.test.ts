import { afterAll, describe, expect, it } from "vitest"
import { LoroPool } from "./LoroPool.js"
import { fuzzTargets } from "./test/fuzzTargets.js"
import { MemoryDocSource } from "./test/MemoryDocSource.js"
import { mutate } from "./test/mutationFuzz.js"
import { prng } from "./test/testFixtures.js"

const source = new MemoryDocSource()
const pool = new LoroPool({ workers: 1, maxDocsPerWorker: 8, source })
afterAll(() => pool.close())

/** Mutant `index` of the full tier's run with `seed` (same targets and draws as runMutationFuzz). */
const replay = (targets: ReturnType<typeof fuzzTargets>, seed: number, index: number) => {
  const random = prng(seed)
  for (let i = 0; ; i++) {
    const target = targets[i % targets.length]!
    const k = Math.floor(random() * target.updates.length)
    const mutant = mutate(target.updates[k]!, random)
    if (i === index) return { target, k, mutant }
  }
}

describe("[S25] escapes the mutation fuzz found, kept as regressions", () => {
  it("[S25] seed 777 mutant 1543: a re-labelled copy of changes the server has is refused (alone, it panics on import)", {
    timeout: 300_000,
  }, async () => {
    const { target, k, mutant } = replay(fuzzTargets(5000), 777, 1543)
    expect(target.name).toBe("workspace-full")
    source.compact("w", "d", target.base!, 0)
    const prefix = target.updates.slice(0, k)
    expect((await pool.validate("w", "d", prefix)).every((r) => r.ok)).toBe(true)
    await pool.markCommitted("w", "d", source.append("w", "d", prefix))
    // Accepted before the fix: the copy already had every change it names, so nothing was "new".
    expect(await pool.validate("w", "d", [mutant])).toMatchObject([{ ok: false }])
    // What a reader meeting it on its own (out of order) would have hit.
    await expect(pool.buildSnapshot(undefined, [mutant])).rejects.toThrow(/panicked/)
  })
})
