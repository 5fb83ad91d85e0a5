import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { findBreakingEntries } from "./findBreakingEntries.js"

/**
 * A model log: each entry is a byte naming what it is. `P` poisons the document, `D` depends
 * on the entry just before it, anything else is a healthy edit, `E` the empty update.
 */
const entry = (c: string) => new TextEncoder().encode(c)
const EMPTY = entry("E")
const modelCheck = (blobs: ReadonlyArray<Uint8Array>) =>
  Effect.sync(() => {
    const s = blobs.map((b) => String.fromCharCode(b[0]!))
    for (const [i, c] of s.entries()) {
      if (c === "P") return { ok: false as const, reason: "its snapshot does not load in full: broken" }
      if (c === "D" && (i === 0 || s[i - 1] === "E"))
        return { ok: false as const, reason: `update ${i + 1} depends on operations the document does not have` }
    }
    return { ok: true as const }
  })
const run = (log: string) => Effect.runSync(findBreakingEntries([...log].map(entry), EMPTY, modelCheck))

describe("findBreakingEntries", () => {
  it("[S24] finds nothing in a healthy log, with one check", () => {
    expect(run("abcdefgh")).toEqual({ breaking: [], checks: 1 })
  })

  it("[S24] finds a poisoning entry anywhere by bisection, in O(log n) checks", () => {
    for (const at of [0, 1, 500, 998, 999]) {
      const log = Array.from({ length: 1000 }, (_, i) => (i === at ? "P" : "a")).join("")
      const r = run(log)
      expect(r.breaking).toEqual([{ index: at, reason: "its snapshot does not load in full: broken" }])
      expect(r.checks).toBeLessThanOrEqual(2 * Math.ceil(Math.log2(1000)) + 2)
    }
  })

  it("[S24] also takes out entries that depended on a removed one, and several poisons", () => {
    const r = run("abPDcdPef")
    expect(r.breaking.map((b) => b.index)).toEqual([2, 3, 6])
    expect(r.breaking[1]!.reason).toBe("the entry depends on operations the document does not have")
  })
})
