import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { encodeBatch, type PendingTx } from "./ChangeWriter.js"

const text = fc.string({
  unit: fc.oneof(
    fc.constantFrom('"', "\\", "\n", "\u2028", "é", "😀", "a"),
    fc.string({ unit: "binary", maxLength: 1 }),
  ),
})
const row = fc.dictionary(text, fc.option(text, { nil: null }), { maxKeys: 5 })
const change = fc.record({
  tbl: fc.constantFrom("tasks", "projects"),
  ws: text,
  id: text,
  op: fc.constantFrom("i" as const, "u" as const, "d" as const, "t" as const),
  value: row.map((r) => JSON.stringify(r)),
  old: fc.option(
    row.map((r) => JSON.stringify(r)),
    { nil: null },
  ),
})
const tx = fc.record({
  xid: fc.nat(),
  lsn: fc.nat(),
  endLsn: fc.nat(),
  at: fc.date({ min: new Date(0), max: new Date(2 ** 42), noInvalidDate: true }),
  changes: fc.array(change, { maxLength: 4 }),
})

describe("ChangeWriter", () => {
  it("[W1] a batch is one JSON array, one object per change, its value and old row embedded as the consumer's JSON text", () => {
    fc.assert(
      fc.property(fc.array(tx, { maxLength: 4 }), (batch: Array<PendingTx>) => {
        const parsed = JSON.parse(encodeBatch(batch)) as Array<Record<string, unknown>>
        const expected = batch.flatMap((t) =>
          t.changes.map((c, i) => ({
            l: t.lsn,
            x: t.xid,
            c: t.at.toISOString(),
            p: i + 1,
            t: c.tbl,
            w: c.ws,
            r: c.id,
            o: c.op,
            v: JSON.parse(c.value),
            b: c.old === null ? null : JSON.parse(c.old),
          })),
        )
        expect(parsed).toEqual(expected)
      }),
      { numRuns: 300 },
    )
  })
})
