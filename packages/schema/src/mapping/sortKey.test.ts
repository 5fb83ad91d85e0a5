import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { keyBetween, plainKeyBetween, SortKeyError } from "./sortKey.js"

describe("sort keys", () => {
  it("keep any sequence of random inserts strictly ordered", () => {
    fc.assert(
      fc.property(fc.array(fc.nat(), { maxLength: 200 }), fc.integer(), (positions, seed) => {
        let s = seed
        const random = () => (s = (s * 1103515245 + 12345) & 0x7fffffff) / 0x80000000
        const keys: Array<string> = []
        for (const p of positions) {
          const i = p % (keys.length + 1)
          keys.splice(i, 0, keyBetween(keys[i - 1] ?? null, keys[i] ?? null, random))
        }
        for (let i = 1; i < keys.length; i++) expect(keys[i - 1]! < keys[i]!).toBe(true)
      }),
    )
  })

  it("stay short when appending 100,000 times", () => {
    let last: string | null = null
    for (let i = 0; i < 100_000; i++) last = keyBetween(last, null)
    expect(last!.length).toBeLessThan(12)
  })

  it("give distinct keys to two devices inserting into the same gap", () => {
    const a = keyBetween("a1", "a2")
    const b = keyBetween("a1", "a2")
    expect(a).not.toBe(b)
    expect(plainKeyBetween("a1", "a2")).toBe(plainKeyBetween("a1", "a2"))
  })

  it("reject malformed or out-of-order neighbours", () => {
    expect(() => plainKeyBetween("a2", "a1")).toThrow(SortKeyError)
    expect(() => plainKeyBetween("!", null)).toThrow(SortKeyError)
    expect(() => plainKeyBetween("a10", null)).toThrow(SortKeyError)
  })
})
