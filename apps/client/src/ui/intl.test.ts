import { readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { describe, expect, it, vi } from "vitest"
import { intlLater } from "./intl.js"

const src = fileURLToPath(new URL("..", import.meta.url))

/** A formatter built where a module's top level runs: `const x = new Intl.…` at column 0. */
const TOP_LEVEL_INTL = /^(export\s+)?(const|let|var)\s+\w+(\s*:[^=]+)?\s*=\s*new Intl\./m

describe("intlLater", () => {
  it("makes the formatter once, at first use, and not while the module's code runs", () => {
    vi.useFakeTimers()
    try {
      const make = vi.fn(() => new Intl.NumberFormat("en"))
      const numbers = intlLater(make)
      expect(make).not.toHaveBeenCalled()
      expect(numbers().format(100_000)).toBe("100,000")
      expect(numbers()).toBe(numbers())
      vi.runAllTimers()
      expect(make).toHaveBeenCalledTimes(1)
    } finally {
      vi.useRealTimers()
    }
  })

  it("makes it in a task of its own when nobody asked first", () => {
    vi.useFakeTimers()
    try {
      const make = vi.fn(() => new Intl.NumberFormat("en"))
      const numbers = intlLater(make)
      vi.runAllTimers()
      expect(make).toHaveBeenCalledTimes(1)
      numbers()
      expect(make).toHaveBeenCalledTimes(1)
    } finally {
      vi.useRealTimers()
    }
  })

  it("no page module builds an Intl formatter at its top level (each costs the first task ~20 ms)", () => {
    const offenders = readdirSync(src, { recursive: true, encoding: "utf8" })
      .filter((f) => /\.tsx?$/.test(f) && !f.includes(".test."))
      .filter((f) => TOP_LEVEL_INTL.test(readFileSync(join(src, f), "utf8")))
    expect(offenders).toEqual([])
    // The pattern finds what it is for.
    expect(TOP_LEVEL_INTL.test('const f = new Intl.DateTimeFormat(undefined, { month: "short" })')).toBe(true)
  })
})
