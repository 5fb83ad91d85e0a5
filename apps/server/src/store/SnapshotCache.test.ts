import { describe, expect, it } from "vitest"
import { SnapshotCache } from "./SnapshotCache.js"

const snap = (seq: number, size: number) => ({ seq, bytes: new Uint8Array(size) })

describe("SnapshotCache", () => {
  it("keeps the newest snapshot of a document", () => {
    const c = new SnapshotCache(100)
    c.put("w", "d", snap(5, 10), c.generation("w", "d"))
    c.put("w", "d", snap(3, 10), c.generation("w", "d"))
    expect(c.get("w", "d")?.seq).toBe(5)
    c.put("w", "d", snap(9, 20), c.generation("w", "d"))
    expect(c.get("w", "d")?.seq).toBe(9)
    expect(c.bytes).toBe(20)
  })

  it("stays within its bytes, dropping the one served least recently first", () => {
    const c = new SnapshotCache(100)
    c.put("w", "a", snap(1, 40), 0)
    c.put("w", "b", snap(1, 40), 0)
    c.get("w", "a")
    c.put("w", "c", snap(1, 40), 0)
    expect(c.get("w", "b")).toBeUndefined()
    expect(c.get("w", "a")?.seq).toBe(1)
    expect(c.get("w", "c")?.seq).toBe(1)
    expect(c.bytes).toBe(80)
    // Larger than the whole cache: not kept, and nothing else is pushed out for it.
    c.put("w", "huge", snap(1, 101), 0)
    expect(c.get("w", "huge")).toBeUndefined()
    expect(c.bytes).toBe(80)
  })

  it("a reset drops the document's snapshot and refuses one read before it", () => {
    const c = new SnapshotCache(100)
    c.put("w", "d", snap(7, 10), c.generation("w", "d"))
    const before = c.generation("w", "d")
    c.reset("w", "d")
    expect(c.get("w", "d")).toBeUndefined()
    // A load that started before the repair finishes after it: its bytes hold the old log.
    c.put("w", "d", snap(8, 10), before)
    expect(c.get("w", "d")).toBeUndefined()
    c.put("w", "d", snap(9, 10), c.generation("w", "d"))
    expect(c.get("w", "d")?.seq).toBe(9)
  })
})
