import { afterEach, beforeEach, describe, expect, it } from "vitest"
import { journalEntries, journalRemove, journalWrite } from "./CommitJournal.js"

/** A Map-backed `Storage` (node has no localStorage). */
class MemoryStorage {
  private readonly m = new Map<string, string>()
  get length() {
    return this.m.size
  }
  key(i: number) {
    return [...this.m.keys()][i] ?? null
  }
  getItem(k: string) {
    return this.m.get(k) ?? null
  }
  setItem(k: string, v: string) {
    this.m.set(k, v)
  }
  removeItem(k: string) {
    this.m.delete(k)
  }
}

describe("CommitJournal", () => {
  beforeEach(() => {
    ;(globalThis as { localStorage?: unknown }).localStorage = new MemoryStorage()
  })
  afterEach(() => {
    delete (globalThis as { localStorage?: unknown }).localStorage
  })

  it("keeps what was not confirmed, per workspace, in commit order, with its idempotency key", () => {
    const big = Uint8Array.from({ length: 100_000 }, (_, i) => i % 251)
    const k1 = journalWrite("ws1", "key-a", Uint8Array.of(1, 2, 3))
    journalWrite("ws2", "key-b", Uint8Array.of(9))
    const k3 = journalWrite("ws1", "key-c", big)
    expect(k1).toBeDefined()
    journalRemove(k1!)
    const left = journalEntries("ws1")
    expect(left.map((e) => e.idempotencyKey)).toEqual(["key-c"])
    expect(left[0]?.bytes).toEqual(big)
    journalRemove(k3!)
    expect(journalEntries("ws1")).toEqual([])
    expect(journalEntries("ws2").map((e) => [...e.bytes])).toEqual([[9]])
  })

  it("works as a no-op without storage", () => {
    delete (globalThis as { localStorage?: unknown }).localStorage
    expect(journalWrite("ws", "k", Uint8Array.of(1))).toBeUndefined()
    expect(journalEntries("ws")).toEqual([])
  })
})
