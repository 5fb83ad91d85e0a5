import { createProject, createTask, readWorkspace, updateTask } from "@vibestack/schema"
import { LoroDoc } from "loro-crdt"
import { describe, expect, it } from "vitest"
import { listVersions, viewAt } from "./versions.js"

describe("history (Loro time travel on a scratch fork)", () => {
  it("lists versions newest first and shows the board as it was, leaving the live doc alone", () => {
    const doc = new LoroDoc()
    doc.setRecordTimestamp(true)
    const p = createProject(doc, { name: "P", color: "#000000" })
    doc.commit({ message: "project" })
    const t = createTask(doc, { projectId: p.id, title: "first" })
    doc.commit({ message: "task" })
    updateTask(doc, t.id, { title: "renamed", status: "done" })
    doc.commit({ message: "rename" })
    const other = new LoroDoc()
    other.import(doc.export({ mode: "update" }))
    createTask(other, { projectId: p.id, title: "from another peer" })
    other.commit({ message: "peer" })
    doc.import(other.export({ mode: "update", from: doc.version() }))

    const versions = listVersions(doc)
    expect(versions.map((v) => v.message)).toEqual(["peer", "rename", "task", "project"])
    expect(versions[0]?.timestamp).toBeGreaterThan(0)
    const titles = (i: number) => viewAt(doc, versions[i]!.frontiers).tasks.map((x) => `${x.title}:${x.status}`)
    expect(titles(3)).toEqual([])
    expect(titles(2)).toEqual(["first:todo"])
    expect(titles(1)).toEqual(["renamed:done"])
    expect(titles(0)).toHaveLength(2)
    // The live document is untouched and still writable.
    expect(readWorkspace(doc).tasks).toHaveLength(2)
    updateTask(doc, t.id, { title: "still writable" })
    doc.commit()
    expect(readWorkspace(doc).tasks.some((x) => x.title === "still writable")).toBe(true)
  })
})
