import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { type DeltaOp, PositionMap } from "./PositionMap.js"

/** Applies a list delta to an array (what Loro does with a list diff). */
const apply = (items: ReadonlyArray<number>, delta: ReadonlyArray<DeltaOp>): Array<number> => {
  const out: Array<number> = []
  let at = 0
  for (const op of delta) {
    if (op.retain !== undefined) {
      out.push(...items.slice(at, at + op.retain))
      at += op.retain
    } else if (op.delete !== undefined) at += op.delete
    else if (op.insert !== undefined) out.push(...(op.insert as ReadonlyArray<number>))
  }
  return [...out, ...items.slice(at)]
}

const codes = (s: string) => [...s].map((c) => c.charCodeAt(0))
const text = (s: string, delta: ReadonlyArray<DeltaOp>) =>
  apply(
    codes(s),
    delta.map((op) => (typeof op.insert === "string" ? { insert: codes(op.insert) } : op)),
  )
    .map((c) => String.fromCharCode(c))
    .join("")

describe("PositionMap", () => {
  it("[C14] typing after a left-out paste lands where it was typed, without the paste", () => {
    const m = new PositionMap()
    m.leftOut([{ retain: 5 }, { insert: " PASTED" }]) // "hello" → "hello PASTED"
    expect(m.kept([{ retain: 12 }, { insert: "!" }])).toEqual([{ retain: 5 }, { insert: "!" }])
    expect(m.kept([{ insert: ">" }])).toEqual([{ insert: ">" }])
    expect(text("hello", [{ retain: 5 }, { insert: "!" }])).toBe("hello!")
  })

  it("[C14] a kept delete over left-out text removes only what exists without it", () => {
    const m = new PositionMap()
    m.leftOut([{ retain: 2 }, { insert: "XYZ" }]) // "abcd" → "abXYZcd"
    // Deletes "bXYZc" in the world with the paste: only "b" and "c" exist without it.
    expect(m.kept([{ retain: 1 }, { delete: 5 }])).toEqual([{ retain: 1 }, { delete: 2 }])
  })

  it("[C14] text a left-out change deleted comes back, and edits around it keep their place", () => {
    const m = new PositionMap()
    m.leftOut([{ retain: 1 }, { delete: 2 }]) // "abcd" → "ad"
    const kept = m.kept([{ retain: 1 }, { insert: "X" }])
    expect(text("abcd", kept)).toBe("abcXd")
    expect(m.kept([{ delete: 1 }])).toEqual([{ delete: 1 }])
  })

  it("[C14] property: without the left-out changes, kept content stays in the order it had, nothing else appears", () => {
    type Step = { readonly leftOut: boolean; readonly at: number; readonly del: number; readonly ins: number }
    const step = fc.record({
      leftOut: fc.boolean(),
      at: fc.nat(),
      del: fc.nat({ max: 4 }),
      ins: fc.nat({ max: 3 }),
    })
    fc.assert(
      fc.property(fc.array(step, { maxLength: 40 }), (steps: ReadonlyArray<Step>) => {
        let next = 1000
        let all = Array.from({ length: 10 }, (_, i) => i)
        let without = all.slice()
        const ghosts = new Set<number>()
        const hidden = new Set<number>()
        const m = new PositionMap()
        for (const s of steps) {
          const at = s.at % (all.length + 1)
          const del = Math.min(s.del, all.length - at)
          const inserted = Array.from({ length: s.ins }, () => next++)
          const delta: Array<DeltaOp> = []
          if (at > 0) delta.push({ retain: at })
          if (del > 0) delta.push({ delete: del })
          if (inserted.length > 0) delta.push({ insert: inserted })
          const removed = all.slice(at, at + del)
          all = apply(all, delta)
          if (s.leftOut) {
            m.leftOut(delta)
            for (const x of inserted) ghosts.add(x)
            for (const x of removed) if (!ghosts.has(x)) hidden.add(x)
          } else without = apply(without, m.kept(delta))
        }
        // Everything visible with the left-out changes, minus their inserts, in the same order...
        expect(without.filter((x) => !hidden.has(x))).toEqual(all.filter((x) => !ghosts.has(x)))
        // ...plus exactly what they deleted, and nothing they inserted.
        expect(without.filter((x) => hidden.has(x)).sort((a, b) => a - b)).toEqual([...hidden].sort((a, b) => a - b))
      }),
      { numRuns: 300 },
    )
  })
})
