import { describe, expect, it } from "vitest"
import { TokenBuckets } from "./TokenBuckets.js"

describe("TokenBuckets", () => {
  const clock = () => {
    let t = 1_000_000
    return { now: () => t, advance: (ms: number) => (t += ms) }
  }

  it("[S18] allows a burst, then the rate, per key; says how long to wait", () => {
    const c = clock()
    const b = new TokenBuckets({ perSecond: 0.5, burst: 3 }, c.now)
    expect([b.take("a"), b.take("a"), b.take("a")]).toEqual([0, 0, 0])
    expect(b.take("a")).toBeCloseTo(2)
    // Another key has its own bucket.
    expect(b.take("b")).toBe(0)
    c.advance(1_000)
    expect(b.take("a")).toBeCloseTo(1)
    c.advance(1_000)
    expect(b.take("a")).toBe(0)
    expect(b.take("a")).toBeCloseTo(2)
    // Refill stops at the burst.
    c.advance(60_000)
    expect([b.take("a"), b.take("a"), b.take("a")]).toEqual([0, 0, 0])
    expect(b.take("a")).toBeGreaterThan(0)
  })

  it("[S18] memory stays bounded: full buckets are swept, and past maxKeys the oldest are forgotten", () => {
    const c = clock()
    const b = new TokenBuckets({ perSecond: 1, burst: 2 }, c.now, 100)
    for (let i = 0; i < 1_000; i++) b.take(`k${i}`)
    expect(b.size).toBeLessThanOrEqual(100)
    // The newest keys are still limited.
    expect(b.take("k999")).toBe(0)
    expect(b.take("k999")).toBeGreaterThan(0)
    c.advance(5_000)
    b.sweep()
    expect(b.size).toBe(0)
  })
})
