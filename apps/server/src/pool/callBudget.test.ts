import { describe, expect, it } from "vitest"
import { BUDGET_BYTES_PER_SECOND, budgetMs, Pace, workBytes } from "./callBudget.js"

const key = { ws: "w", doc: "d" }
const mb = (n: number) => new Uint8Array(n * 1024 * 1024)

describe("pool call budgets", () => {
  it("[O5] a call's budget grows with the bytes it moves: its payload and, for whole-document work, the document", () => {
    const size = () => 24 * 1024 * 1024
    expect(workBytes({ _tag: "Load", key, snapshot: mb(2), updates: [mb(1)], seq: 3 }, size)).toBe(3 * 1024 * 1024)
    expect(workBytes({ _tag: "ExportSnapshot", key }, size)).toBe(24 * 1024 * 1024)
    // Operations that carry their bytes (the whole-document check of an import) count them too.
    expect(
      workBytes({ _tag: "Run", key, op: "validateDocument", args: { snapshot: mb(24), updates: [mb(1)] } }, () => 0),
    ).toBe(25 * 1024 * 1024)
    const item = { key, batchId: 1, reapply: [], blobs: [mb(1)], check: true }
    expect(workBytes({ _tag: "Validate", items: [item] }, size)).toBe(25 * 1024 * 1024)
    expect(workBytes({ _tag: "Validate", items: [{ ...item, check: false }] }, size)).toBe(1024 * 1024)
    expect(workBytes({ _tag: "Discard", keys: [key] }, size)).toBe(0)
  })

  it("[O5] small calls keep the base budget; a 24 MB document gets minutes, not the base 30 s", () => {
    expect(budgetMs(30_000, 0)).toBe(30_000)
    expect(budgetMs(30_000, 10_000)).toBeLessThan(30_200)
    const big = budgetMs(30_000, 24 * 1024 * 1024)
    expect(big).toBe(30_000 + Math.ceil(((24 * 1024 * 1024) / BUDGET_BYTES_PER_SECOND) * 1000))
    expect(big).toBeGreaterThan(200_000)
  })

  it("[O5] budgets follow the pool's recent pace: a slow machine, or a call that timed out, gets more time next", () => {
    const pace = new Pace()
    const bytes = 2 * 1024 * 1024
    const floor = budgetMs(30_000, bytes, pace.secondsPerByte("Run"))
    expect(floor).toBe(budgetMs(30_000, bytes))
    // A Run took 40 s for 2 MiB (a loaded machine): the next one may take four times that pace.
    pace.record("Run", bytes, 40)
    expect(budgetMs(30_000, bytes, pace.secondsPerByte("Run"))).toBe(30_000 + 160_000)
    // Other operations keep their own pace; tiny calls teach nothing.
    expect(pace.secondsPerByte("Load")).toBe(0)
    pace.record("Load", 100, 50)
    expect(pace.secondsPerByte("Load")).toBe(0)
    // Faster calls bring the budget back down gradually.
    pace.record("Run", bytes, 1)
    expect(pace.secondsPerByte("Run")).toBeLessThan(40 / bytes)
    expect(pace.secondsPerByte("Run")).toBeGreaterThan(1 / bytes)
  })
})
