import { describe, expect, it } from "vitest"
import { syncDocs, testDoc } from "../test/testDoc.js"
import { ChangedEntities, changedEntitiesBetween, changedEntitiesOfEvents } from "./changes.js"
import { addComment } from "./comments.js"
import { upsertMember } from "./members.js"
import { createProject, updateProject } from "./projects.js"
import { createTask, deleteTask, moveTask, setTaskDescription, updateTask } from "./tasks.js"

const refs = (c: ChangedEntities) =>
  c
    .toArray()
    .map((r) => `${r.collection}/${r.id}`)
    .sort()

describe("changed-entity detection", () => {
  it("finds exactly the entities touched between two versions, via diff and via import events", () => {
    const a = testDoc()
    const p = createProject(a, { id: "p1", name: "P", color: "#000000" })
    const t1 = createTask(a, { id: "t1", projectId: p.id, title: "one" })
    const t2 = createTask(a, { id: "t2", projectId: p.id, title: "two" })
    createTask(a, { id: "t3", projectId: p.id, title: "three" })
    const m = upsertMember(a, { id: "m1", name: "Ada", color: "#000000" })
    a.commit()
    const b = testDoc()
    syncDocs(a, b)
    const from = a.frontiers()

    updateTask(a, t1.id, { status: "done" })
    setTaskDescription(a, t2.id, "text edit only")
    a.commit()
    moveTask(a, "t3", { after: null, before: t1.id })
    deleteTask(a, t1.id)
    addComment(a, { id: "c1", taskId: t2.id, authorId: m.id, body: "hi" })
    updateProject(a, p.id, { name: "Q" })
    a.getMap("meta").set("schemaVersion", 2)
    a.commit()

    const expected = ["comments/c1", "projects/p1", "tasks/t1", "tasks/t2", "tasks/t3"]
    expect(refs(changedEntitiesBetween(a, from, a.frontiers()))).toEqual(expected)

    const seen = new ChangedEntities()
    b.subscribe((batch) => changedEntitiesOfEvents(batch, seen))
    b.import(a.export({ mode: "update", from: b.oplogVersion() }))
    // Events are delivered after import returns, in a microtask.
    return Promise.resolve().then(() => expect(refs(seen)).toEqual(expected))
  })

  it("reports nothing for an unchanged version and each entity once", () => {
    const a = testDoc()
    const p = createProject(a, { id: "p1", name: "P", color: "#000000" })
    a.commit()
    const from = a.frontiers()
    expect(changedEntitiesBetween(a, from, from).size).toBe(0)
    for (let i = 0; i < 5; i++) {
      updateProject(a, p.id, { name: `P${i}` })
      a.commit()
    }
    expect(refs(changedEntitiesBetween(a, from, a.frontiers()))).toEqual(["projects/p1"])
  })
})
