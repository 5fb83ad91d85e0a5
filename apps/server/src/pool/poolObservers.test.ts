import { afterEach, describe, expect, it } from "vitest"
import { LoroPool, type RecycleDetail } from "./LoroPool.js"
import { PoolError } from "./PoolError.js"
import { MemoryDocSource } from "./test/MemoryDocSource.js"
import { TestClient } from "./test/testFixtures.js"

const pools: Array<LoroPool> = []
afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.close()))
})

describe("LoroPool observers", () => {
  it("[O5] a call past its budget is reported (recycle with cause and documents, timeout observed) and fails Unavailable, never retried", async () => {
    const calls: Array<[string, string]> = []
    const recycles: Array<[string, RecycleDetail]> = []
    // A 1 ms base budget: no worker even boots that fast, so the first call times out.
    const pool = new LoroPool({
      workers: 1,
      maxDocsPerWorker: 4,
      source: new MemoryDocSource(),
      callTimeoutMs: 1,
      onCall: (op, _s, outcome) => calls.push([op, outcome]),
      onRecycle: (reason, detail) => recycles.push([reason, detail]),
    })
    pools.push(pool)
    const err = await pool.run("w1", "main", "toJSON", undefined).then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(err).toBeInstanceOf(PoolError)
    expect((err as PoolError).kind).toBe("Unavailable")
    expect((err as PoolError).message).toMatch(/within its budget of \d+ ms/)
    expect(calls).toEqual([["Run", "timeout"]])
    expect(recycles).toHaveLength(1)
    expect(recycles[0]![0]).toContain("a Run call ran past its budget")
    expect(recycles[0]![1]).toEqual({ cause: "timeout", docs: ["w1/main"] })
  })

  it("[O2] every call is observed with its operation, and loads are seen", async () => {
    const calls: Array<string> = []
    const source = new MemoryDocSource()
    const pool = new LoroPool({
      workers: 1,
      maxDocsPerWorker: 4,
      source,
      onCall: (op, _s, o) => calls.push(`${op}:${o}`),
    })
    pools.push(pool)
    const client = new TestClient(5n)
    const [r] = await pool.validate("w1", "main", [client.addEntities(0, 2)])
    expect(r).toEqual({ ok: true })
    expect(calls).toContain("Validate:ok")
    expect(calls).toContain("Load:ok")
    expect(pool.stats().busyWorkers).toBe(0)
  })
})
