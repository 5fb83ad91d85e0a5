import { describe, expect, it } from "vitest"
import { jsonString, rowKey, snapshotMessage, snapshotMessages, valueJson } from "./messages.js"

describe("shape log messages", () => {
  it("[W4] the snapshot's fast message builder writes what the general one writes", () => {
    const fast = snapshotMessages("tasks", 'w"s')
    for (const id of ["t1", 'q"uote', "back\\slash", "ctl\u0001", "😀", "é", ""]) {
      const value = valueJson(["id", "title"])([id, `title ${id}`])
      expect(fast(id, value)).toBe(snapshotMessage(rowKey("tasks", 'w"s', id), value))
      expect(JSON.parse(fast(id, value)).value).toEqual({ id, title: `title ${id}` })
    }
    for (const s of ["plain", 'q"', "\\", "\n", "\u2028", "😀", "\ud800"]) expect(jsonString(s)).toBe(JSON.stringify(s))
    expect(valueJson(["a", "b"])([null, "x", "y"], 1)).toBe('{"a":"x","b":"y"}')
  })
})
