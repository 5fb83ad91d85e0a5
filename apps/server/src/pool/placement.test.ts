import { describe, expect, it } from "vitest"
import { Placement } from "./LoroPool.js"

const key = (doc: string) => ({ ws: "w", doc })

describe("which worker owns a document's copy", () => {
  it("places each new document on the worker that owns the fewest, and keeps it there", () => {
    const p = new Placement(
      2,
      100,
      () => false,
      () => {},
    )
    const slots = Array.from({ length: 10 }, (_, i) => p.slotOf(key(`d${i}`)))
    expect(slots.filter((s) => s === 0).length).toBe(5)
    expect(slots.filter((s) => s === 1).length).toBe(5)
    // Asked again, in any order: the same owner.
    for (let i = 9; i >= 0; i--) expect(p.slotOf(key(`d${i}`))).toBe(slots[i])
  })

  it("past its capacity forgets the least recently used idle documents, never a busy one", () => {
    const forgotten: Array<[string, number]> = []
    const busy = new Set(["w\u0000d0"])
    const p = new Placement(
      2,
      3,
      (k) => busy.has(k),
      (k, slot) => forgotten.push([k.doc, slot]),
    )
    const d0 = p.slotOf(key("d0"))
    const d1 = p.slotOf(key("d1"))
    p.slotOf(key("d2"))
    p.slotOf(key("d1")) // used again: now the most recent
    p.slotOf(key("d3"))
    // d0 is the oldest but busy (a batch pending on its copy); d2 is the oldest idle one.
    expect(forgotten.map(([d]) => d)).toEqual(["d2"])
    expect(p.slotOf(key("d0"))).toBe(d0)
    expect(p.slotOf(key("d1"))).toBe(d1)
    // A forgotten document is placed afresh, on the worker that now owns the fewest.
    busy.clear()
    p.slotOf(key("d2"))
    expect(forgotten.length).toBe(2)
  })
})
