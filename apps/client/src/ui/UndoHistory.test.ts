import { createProject, createTask, deleteProject, readWorkspace, updateTask } from "@vibestack/schema"
import { LoroDoc } from "loro-crdt"
import { describe, expect, it } from "vitest"
import { UndoHistory } from "./UndoHistory.js"

const json = (doc: LoroDoc) => JSON.stringify(readWorkspace(doc))

describe("[U4] UndoHistory", () => {
  it("[U4] undoes and redoes a project delete with its tasks; a remote peer sees the undo", () => {
    const doc = new LoroDoc()
    const h = new UndoHistory(doc)
    const p = createProject(doc, { name: "P", color: "#4f7cff" })
    doc.commit()
    createTask(doc, { projectId: p.id, title: "T" })
    doc.commit()
    const before = json(doc)
    h.tagged("del", () => {
      deleteProject(doc, p.id)
      doc.commit()
    })
    expect(readWorkspace(doc).tasks).toEqual([])
    expect(h.undoTagged("del")).toBe(true)
    expect(json(doc)).toBe(before)
    const remote = new LoroDoc()
    remote.import(doc.export({ mode: "snapshot" }))
    expect(json(remote)).toBe(before)
    expect(h.redo()).toBe(true)
    expect(readWorkspace(doc).projects).toEqual([])
    h.free()
  })

  it("[U4] a tagged undo does nothing once another step came after it", () => {
    const doc = new LoroDoc()
    const h = new UndoHistory(doc)
    const p = createProject(doc, { name: "P", color: "#4f7cff" })
    doc.commit()
    const t = createTask(doc, { projectId: p.id, title: "T" })
    doc.commit()
    h.tagged("rename", () => {
      updateTask(doc, t.id, { title: "U" })
      doc.commit()
    })
    updateTask(doc, t.id, { status: "done" })
    doc.commit()
    expect(h.undoTagged("rename")).toBe(false)
    expect(readWorkspace(doc).tasks[0]?.title).toBe("U")
    h.free()
  })

  it("[U4] typing is one step; each other commit is its own", () => {
    const doc = new LoroDoc()
    const h = new UndoHistory(doc)
    const p = createProject(doc, { name: "P", color: "#4f7cff" })
    doc.commit()
    const t = createTask(doc, { projectId: p.id, title: "T" })
    doc.commit()
    h.typingStart()
    for (const title of ["a", "ab", "abc"]) {
      updateTask(doc, t.id, { title })
      doc.commit()
    }
    h.typingEnd()
    updateTask(doc, t.id, { priority: "high" })
    doc.commit()
    h.undo()
    expect(readWorkspace(doc).tasks[0]).toMatchObject({ title: "abc", priority: "none" })
    h.undo()
    expect(readWorkspace(doc).tasks[0]).toMatchObject({ title: "T" })
    h.free()
  })
})
