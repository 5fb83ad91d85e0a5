import { describe, expect, it } from "vitest"
import { authorOfMessage } from "./authorship.js"
import { relativeTime } from "./relativeTime.js"

describe("people: relative times and authors", () => {
  it("says times as people do", () => {
    const now = Date.UTC(2026, 0, 10, 12)
    expect(relativeTime(now - 10_000, now)).toBe("just now")
    expect(relativeTime(now - 5 * 60_000, now)).toBe("5 minutes ago")
    expect(relativeTime(now - 3 * 3_600_000, now)).toBe("3 hours ago")
    expect(relativeTime(now - 86_400_000, now)).toBe("yesterday")
    expect(relativeTime(now - 400 * 86_400_000, now)).toBe("last year")
  })

  it("reads the author out of a commit message, and nothing out of other messages", () => {
    expect(authorOfMessage("author:abc")).toBe("abc")
    expect(authorOfMessage("migration")).toBeUndefined()
    expect(authorOfMessage(undefined)).toBeUndefined()
  })
})
