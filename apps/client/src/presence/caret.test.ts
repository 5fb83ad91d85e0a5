import { createProject, createTask, setTaskDescription } from "@vibestack/schema"
import { LoroDoc } from "loro-crdt"
import { describe, expect, it } from "vitest"
import { caretAt, caretOffset } from "./caret.js"

describe("[C17] carets in a shared description (Loro cursors)", () => {
  it("a caret follows its character while another device types before it; the end of the text works too", () => {
    const a = new LoroDoc()
    const p = createProject(a, { name: "P", color: "#000000" })
    const t = createTask(a, { projectId: p.id, title: "T" })
    a.commit()
    // No description yet: no caret, and reading it created nothing.
    expect(caretAt(a, t.id, 0)).toBeUndefined()
    expect(a.getPendingTxnLength()).toBe(0)
    setTaskDescription(a, t.id, "hello world")
    a.commit()
    const b = new LoroDoc()
    b.import(a.export({ mode: "update" }))
    const mid = caretAt(a, t.id, 6)!
    const end = caretAt(a, t.id, 11)!
    expect(caretOffset(b, mid)).toBe(6)
    expect(caretOffset(b, end)).toBe(11)
    setTaskDescription(b, t.id, ">> hello world")
    b.commit()
    expect(caretOffset(b, mid)).toBe(9)
    expect(caretOffset(b, end)).toBe(14)
    expect(caretOffset(b, "not a cursor")).toBeUndefined()
  })
})
