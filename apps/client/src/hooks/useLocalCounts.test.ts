import { describe, expect, it } from "vitest"
import { type LocalCounts, storedSince } from "./useLocalCounts.js"

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
