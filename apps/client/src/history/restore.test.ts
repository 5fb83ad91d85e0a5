import {
  createProject,
  createTask,
  deleteProject,
  deleteTask,
  metaMap,
  readWorkspace,
  SCHEMA_VERSION_KEY,
  setTaskDescription,
  updateTask,
} from "@vibestack/schema"
import { LoroDoc, UndoManager } from "loro-crdt"
import { describe, expect, it } from "vitest"
import { RestoreError, restoreTask, restoreWorkspace } from "./restore.js"
import { listVersions } from "./versions.js"

const setup = () => {
  const doc = new LoroDoc()
  metaMap(doc).set(SCHEMA_VERSION_KEY, 2)
  const p = createProject(doc, { name: "P", color: "#000000" })
  const t = createTask(doc, { projectId: p.id, title: "Draft", priority: "low" })
  setTaskDescription(doc, t.id, "first words")
  doc.commit({ message: "v1" })
  const v1 = listVersions(doc)[0]!.frontiers
  return { doc, p, t, v1 }
}

const titles = (doc: LoroDoc) => readWorkspace(doc).tasks.map((x) => `${x.title}/${x.priority}/${x.description}`)

describe("history restore (new changes on top, undoable)", () => {
  it("restores one task's fields as a new change; the undo manager takes it back", () => {
    const { doc, p, t, v1 } = setup()
    const undo = new UndoManager(doc, { mergeInterval: 0 })
    updateTask(doc, t.id, { title: "Final", priority: "urgent" })
    setTaskDescription(doc, t.id, "rewritten")
    createTask(doc, { projectId: p.id, title: "Other" })
    doc.commit({ message: "v2" })
    const changes = listVersions(doc).length
    restoreTask(doc, t.id, v1)
    doc.commit({ message: "restore" })
    expect(listVersions(doc).length).toBe(changes + 1)
    expect(titles(doc)).toEqual(["Draft/low/first words", "Other/none/"])
    undo.undo()
    expect(titles(doc)).toEqual(["Final/urgent/rewritten", "Other/none/"])
  })

  it("a task deleted since comes back with its id; one whose project is gone says so", () => {
    const { doc, p, t, v1 } = setup()
    deleteTask(doc, t.id)
    doc.commit()
    expect(restoreTask(doc, t.id, v1).id).toBe(t.id)
    doc.commit()
    expect(titles(doc)).toEqual(["Draft/low/first words"])
    deleteProject(doc, p.id)
    doc.commit()
    expect(() => restoreTask(doc, t.id, v1)).toThrow(RestoreError)
  })

  it("restores the whole workspace, keeps the layout version, and is undoable", () => {
    const { doc, p, t, v1 } = setup()
    const undo = new UndoManager(doc, { mergeInterval: 0 })
    deleteTask(doc, t.id)
    createTask(doc, { projectId: p.id, title: "Later" })
    metaMap(doc).set(SCHEMA_VERSION_KEY, 3)
    doc.commit()
    restoreWorkspace(doc, v1)
    doc.commit()
    expect(titles(doc)).toEqual(["Draft/low/first words"])
    expect(metaMap(doc).get(SCHEMA_VERSION_KEY)).toBe(3)
    undo.undo()
    expect(titles(doc)).toEqual(["Later/none/"])
  })
})
