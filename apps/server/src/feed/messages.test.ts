import { describe, expect, it } from "vitest"
import {
  changeMessage,
  changeMessages,
  jsonString,
  rowKey,
  snapshotMessage,
  snapshotMessages,
  valueJson,
} from "./messages.js"

describe("shape log messages", () => {
  it("[W4] the snapshot's and the log's fast message builders write what the general ones write", () => {
    for (const ws of ['w"s', "w1"]) {
      const fast = snapshotMessages("tasks", ws)
      const change = changeMessages("tasks", ws)
      for (const id of ["t1", 'q"uote', "back\\slash", "ctl\u0001", "😀", "é", ""]) {
        const value = valueJson(["id", "title"])([id, `title ${id}`])
        expect(fast(id, value)).toBe(snapshotMessage(rowKey("tasks", ws, id), value))
        expect(JSON.parse(fast(id, value)).value).toEqual({ id, title: `title ${id}` })
        for (const op of ["i", "u", "d"]) {
          expect(change(op, 123, 4, id, value)).toBe(changeMessage(rowKey("tasks", ws, id), op, 123, 4, value))
          expect(JSON.parse(change(op, 123, 4, id, value)).key).toBe(rowKey("tasks", ws, id))
        }
      }
    }
    for (const s of ["plain", 'q"', "\\", "\n", "\u2028", "😀", "\ud800"]) expect(jsonString(s)).toBe(JSON.stringify(s))
    expect(valueJson(["a", "b"])([null, "x", "y"], 1)).toBe('{"a":"x","b":"y"}')
  })
})
