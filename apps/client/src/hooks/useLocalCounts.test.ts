import { describe, expect, it } from "vitest"
import { coalescing, type LocalCounts, storedSince } from "./useLocalCounts.js"

const read = (of: { stored: number }, stored: number): LocalCounts => ({
  outbox: 0,
  oldestPendingAt: undefined,
  rejected: 0,
  storedAtRead: { of, stored },
})

describe("storedSince (commits the outbox count may have missed)", () => {
  it("[U2] counts what the session stored after the read began, and everything for a session no read was made for", () => {
    const session = { stored: 5 }
    expect(storedSince(read(session, 5), session)).toBe(0)
    expect(storedSince(read(session, 3), session)).toBe(2)
    expect(storedSince(undefined, session)).toBe(5)
    // The document reopened (a new session counting from 0): the old read says nothing of it.
    const reopened = { stored: 1 }
    expect(storedSince(read(session, 5), reopened)).toBe(1)
  })
})

describe("coalescing (the status bar's outbox reads)", () => {
  it("reads at once, one at a time, and once more for everything asked during a read", async () => {
    const ends: Array<() => void> = []
    let reads = 0
    const ask = coalescing(
      () =>
        new Promise<void>((resolve) => {
          reads++
          ends.push(resolve)
        }),
    )
    ask()
    expect(reads).toBe(1) // at once, no debounce
    ask()
    ask()
    ask()
    expect(reads).toBe(1) // one at a time
    ends.shift()?.()
    await new Promise((r) => setTimeout(r, 0))
    expect(reads).toBe(2) // one more, for the three asked meanwhile
    ends.shift()?.()
    await new Promise((r) => setTimeout(r, 0))
    expect(reads).toBe(2) // nothing asked since
    ask()
    expect(reads).toBe(3)
  })
})
