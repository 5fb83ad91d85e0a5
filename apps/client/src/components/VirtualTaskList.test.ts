import { describe, expect, it } from "vitest"
import { rendersWhole, WHOLE } from "./VirtualTaskList.js"

describe("rendersWhole (which task lists skip virtualization)", () => {
  it("[#15] a short list renders whole once its count is the document's, never while rows arrive in parts", () => {
    expect(rendersWhole(true, 56, 56)).toBe(true)
    // A new device's first part: 56 rows stored of a project the document holds 1,000 of.
    expect(rendersWhole(false, 56, 56)).toBe(false)
    expect(rendersWhole(true, WHOLE + 1, WHOLE + 1)).toBe(false)
    expect(rendersWhole(true, 56, 40)).toBe(false)
  })
})
