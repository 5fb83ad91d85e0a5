import { describe, expect, it } from "vitest"
import { describeRefusal, readableSummary } from "./refusal.js"

describe("[U3] refused changes in words", () => {
  it("[U3] each reason has its own words; the server's text is not used", () => {
    expect(describeRefusal("Forbidden")).toContain("view-only")
    const kinds = [
      "Forbidden",
      "Unauthorized",
      "InvalidUpdate",
      "PayloadTooLarge",
      "BadRequest",
      "Conflict",
      "ClientTooOld",
    ]
    expect(new Set(kinds.map(describeRefusal)).size).toBe(kinds.length)
  })

  it("[U3] ids become names; bookkeeping lines go; other lines stay", () => {
    const names = { nameOf: (c: string, id: string) => (c === "tasks" && id === "t1" ? "Read me" : undefined) }
    const summary = [
      'tasks/t1/status: set to "done"',
      "tasks/t1/updatedAt: set to 1700000000000",
      "tasks/t1/done: set to true",
      'tasks/zz/description: typed "hello"',
      "an update this device could not read (12 bytes)",
    ].join("\n")
    expect(readableSummary(summary, names)).toEqual([
      'Task “Read me”: status set to "done"',
      'Task: description typed "hello"',
      "an update this device could not read (12 bytes)",
    ])
  })
})
