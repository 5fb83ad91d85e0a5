import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { ChangeTail, type LogChange } from "./ChangeTail.js"
import { compareOffsets } from "./offset.js"

const change = (tbl: string, ws: string, pos: number, rowId: string, op = "i") => ({
  tbl,
  ws,
  pos,
  rowId,
  op,
  value: `{"id":"${rowId}"}`,
  old: null,
})
/** The changes of the transaction committed at `lsn`. */
const at = (lsn: number, changes: ReadonlyArray<ReturnType<typeof change>>) => changes.map((c) => ({ ...c, lsn }))

describe("ChangeTail", () => {
  it("[W11] serves a (table, workspace)'s changes after an offset, each transaction once", () => {
    const tail = new ChangeTail(1 << 20)
    tail.reset(1, 100)
    tail.append(
      100,
      110,
      at(100, [change("tasks", "a", 1, "t1"), change("tasks", "b", 2, "x"), change("tasks", "a", 3, "t2")]),
    )
    tail.append(100, 110, at(100, [change("tasks", "a", 1, "t1")])) // redelivered: ignored
    tail.append(120, 130, at(120, [change("tasks", "a", 1, "t3")]))
    expect(tail.head).toBe(130)
    const ids = (after: { lsn: number; pos: number }) => tail.read("tasks", "a", after, 100).changes.map((c) => c.rowId)
    expect(ids({ lsn: 100, pos: 0 })).toEqual(["t1", "t2", "t3"])
    expect(ids({ lsn: 100, pos: 1 })).toEqual(["t2", "t3"])
    expect(ids({ lsn: 110, pos: 0 })).toEqual(["t3"])
    expect(tail.read("tasks", "b", { lsn: 100, pos: 0 }, 100).changes.map((c) => c.rowId)).toEqual(["x"])
    expect(tail.read("projects", "a", { lsn: 100, pos: 0 }, 100).changes).toEqual([])
    expect(tail.covers({ lsn: 99, pos: 5 })).toBe(false)
    expect(tail.covers({ lsn: 100, pos: 0 })).toBe(true)
  })

  it("[W11] drops the oldest changes past its budget and then sends older offsets to change_log", () => {
    const tail = new ChangeTail(400)
    tail.reset(1, 0)
    for (let i = 1; i <= 20; i++) tail.append(i * 10, i * 10 + 1, at(i * 10, [change("tasks", "a", 1, `t${i}`)]))
    expect(tail.covers({ lsn: 10, pos: 1 })).toBe(false)
    const from = tail.from
    const rest = tail.read("tasks", "a", from, 100).changes
    expect(rest.length).toBeGreaterThan(0)
    expect(rest[rest.length - 1]!.rowId).toBe("t20")
    expect(rest[0]!.lsn).toBeGreaterThan(from.lsn)
  })

  it("[W11] wakes only the waiters of the touched (table, workspace); truncates and resets wake all of a table", () => {
    const tail = new ChangeTail(1 << 20)
    tail.reset(1, 0)
    const woken: Array<string> = []
    tail.onChange("tasks", "a", () => woken.push("a"))
    tail.onChange("tasks", "b", () => woken.push("b"))
    const off = tail.onChange("projects", "a", () => woken.push("pa"))
    tail.append(10, 11, at(10, [change("tasks", "a", 1, "t1")]))
    expect(woken).toEqual(["a"])
    off()
    tail.append(20, 21, at(20, [change("tasks", "*", 1, "", "t")]))
    expect(woken.sort()).toEqual(["a", "a", "b"])
    expect(tail.read("tasks", "a", { lsn: 10, pos: 1 }, 10).truncated).toBe(true)
    expect(tail.read("tasks", "a", { lsn: 20, pos: 1 }, 10).truncated).toBe(false)
    const v = tail.version
    tail.reset(2, 50)
    expect(tail.version).toBeGreaterThan(v)
    expect(tail.read("tasks", "a", { lsn: 50, pos: 0 }, 10).changes).toEqual([])
  })

  it("[W11] whatever it keeps, each (table, workspace) reads back exactly its changes after any covered offset", () => {
    const shapes = [
      ["tasks", "a"],
      ["tasks", "b"],
      ["projects", "a"],
    ] as const
    fc.assert(
      fc.property(
        // Transactions of runs of changes to one shape, as a projection writes them.
        fc.array(fc.array(fc.record({ shape: fc.nat(2), run: fc.integer({ min: 1, max: 4 }) }), { maxLength: 5 }), {
          maxLength: 25,
        }),
        fc.integer({ min: 100, max: 3000 }),
        (txs, budget) => {
          const tail = new ChangeTail(budget)
          tail.reset(1, 0)
          const all: Array<LogChange & { readonly tbl: string; readonly ws: string }> = []
          txs.forEach((runs, t) => {
            const lsn = (t + 1) * 10
            const changes = runs.flatMap(({ shape, run }) => Array.from({ length: run }, () => shapes[shape]!))
            const appended = changes.map(([tbl, ws], i) => ({ ...change(tbl, ws, i + 1, `${lsn}.${i + 1}`), lsn }))
            tail.append(lsn, lsn + 1, appended)
            all.push(...appended)
            for (const [tbl, ws] of shapes)
              for (const after of [tail.from, ...all.map((c) => ({ lsn: c.lsn, pos: c.pos }))]) {
                if (!tail.covers(after)) continue
                const want = all.filter((c) => c.tbl === tbl && c.ws === ws && compareOffsets(c, after) > 0)
                expect(tail.read(tbl, ws, after, 1000).changes.map((c) => c.rowId)).toEqual(want.map((c) => c.rowId))
              }
          })
        },
      ),
      { numRuns: 200 },
    )
  })
})
