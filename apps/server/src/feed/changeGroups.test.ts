import fc from "fast-check"
import { describe, expect, it } from "vitest"
import type { PendingChange, PendingTx } from "./ChangeWriter.js"
import { encodeGroupsCopy, expandGroups, GROUP_CHANGES, GROUP_CHARS, GroupBuilder, groupsOf } from "./changeGroups.js"

// Row ids and workspaces are any text; values are JSON text, as the consumer produces it.
const text = fc.string({
  unit: fc.oneof(
    fc.constantFrom('"', "\\", "\n", "\u001e", "\u001f", "\u2028", "é", "😀", "a"),
    fc.string({ unit: "binary", maxLength: 1 }),
  ),
})
const json = fc.dictionary(text, fc.option(text, { nil: null }), { maxKeys: 4 }).map((r) => JSON.stringify(r))
const change: fc.Arbitrary<PendingChange> = fc.record({
  tbl: fc.constantFrom("tasks", "projects"),
  ws: fc.constantFrom("w1", "w2", "*"),
  id: text,
  op: fc.constantFrom("i" as const, "u" as const, "d" as const, "t" as const),
  value: json,
  old: fc.option(json, { nil: null }),
})
const tx = (changes: Array<PendingChange>): PendingTx => ({ xid: 7, lsn: 1000, endLsn: 1010, at: new Date(0), changes })
const logged = (t: PendingTx) =>
  t.changes.map((c, i) => ({ lsn: t.lsn, pos: i + 1, rowId: c.id, op: c.op, value: c.value, old: c.old }))

describe("change groups", () => {
  it("[W1] a transaction's groups expand back to its changes, in position order, whatever their text", () => {
    fc.assert(
      fc.property(fc.array(change, { maxLength: 12 }), (changes) => {
        const t = tx(changes)
        const groups = groupsOf(t)
        expect(expandGroups(groups)).toEqual(logged(t))
        // One group per (table, workspace) here, keyed by its first change's position.
        expect(new Set(groups.map((g) => g.pos)).size).toBe(groups.length)
        for (const g of groups) {
          const mine = logged(t).filter((_, i) => changes[i]!.tbl === g.tbl && changes[i]!.ws === g.ws)
          expect([g.pos, g.lastPos, g.n]).toEqual([mine[0]!.pos, mine.at(-1)!.pos, mine.length])
        }
      }),
      { numRuns: 300 },
    )
  })

  it("[W2] splits a large transaction at GROUP_CHANGES changes or GROUP_CHARS characters, the same way every time", () => {
    const many = (n: number, value: string) =>
      tx(Array.from({ length: n }, (_, i) => ({ tbl: "tasks", ws: "w1", id: `t${i}`, op: "i", value, old: null })))
    const small = many(2 * GROUP_CHANGES + 1, "{}")
    const groups = groupsOf(small)
    expect(groups.map((g) => [g.pos, g.n])).toEqual([
      [1, GROUP_CHANGES],
      [GROUP_CHANGES + 1, GROUP_CHANGES],
      [2 * GROUP_CHANGES + 1, 1],
    ])
    expect(groupsOf(small)).toEqual(groups)
    expect(expandGroups(groups)).toEqual(logged(small))

    const big = many(300, JSON.stringify({ description: "x".repeat(4000) }))
    const bigGroups = groupsOf(big)
    expect(bigGroups.length).toBeGreaterThan(1)
    for (const g of bigGroups) expect(g.changes.length).toBeLessThan(GROUP_CHARS + 5000)
    expect(expandGroups(bigGroups)).toEqual(logged(big))
  })

  it("[W2] a transaction grouped a slice at a time (the writer's turns) gives the same groups, and the same COPY bytes", () => {
    fc.assert(
      fc.property(
        fc.array(change, { maxLength: 40 }),
        fc.integer({ min: 1, max: 80 }),
        fc.array(fc.integer({ min: 1, max: 700 }), { minLength: 1, maxLength: 10 }),
        (changes, times, slices) => {
          // Up to 3,200 changes: groups close at GROUP_CHANGES inside slices and between them.
          const t = tx(Array.from({ length: times }, () => changes).flat())
          const builder = new GroupBuilder(t)
          for (let done = 0, k = 0; done < t.changes.length; k++) {
            const n = slices[k % slices.length]!
            builder.add(n)
            done += n
          }
          const sliced = builder.finish()
          expect(sliced).toEqual(groupsOf(t))
          expect(encodeGroupsCopy(sliced).equals(encodeGroupsCopy(groupsOf(t)))).toBe(true)
          expect(expandGroups(sliced)).toEqual(logged(t))
        },
      ),
      { numRuns: 100 },
    )
  })
})
