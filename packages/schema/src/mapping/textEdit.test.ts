import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { textEdit } from "./textEdit.js"

const apply = (s: string, e: ReturnType<typeof textEdit>) =>
  s.slice(0, e.index) + e.insert + s.slice(e.index + e.remove)

describe("textEdit", () => {
  it("is the user's own edit for typing, pasting and cutting", () => {
    expect(textEdit("hello world", "hello, world")).toEqual({ index: 5, remove: 0, insert: "," })
    expect(textEdit("hello world", "hello")).toEqual({ index: 5, remove: 6, insert: "" })
    expect(textEdit("kept", "f".repeat(100_000))).toEqual({ index: 0, remove: 4, insert: "f".repeat(100_000) })
    expect(textEdit("same", "same")).toEqual({ index: 4, remove: 0, insert: "" })
  })

  it("never splits a surrogate pair", () => {
    // Same high surrogate, different low ones: the whole pair is replaced.
    expect(textEdit("a😀b", "a😁b")).toEqual({ index: 1, remove: 2, insert: "😁" })
  })

  it("turns any text into any other", () => {
    const text = fc.string({ unit: fc.constantFrom("a", "b", "😀", "😁", "\n", "é"), maxLength: 30 })
    fc.assert(
      fc.property(text, text, (a, b) => {
        const e = textEdit(a, b)
        expect(apply(a, e)).toBe(b)
        expect(e.index + e.remove).toBeLessThanOrEqual(a.length)
      }),
    )
  })
})
