import fc from "fast-check"
import { LoroList, LoroMap, LoroText } from "loro-crdt"
import { describe, expect, it } from "vitest"
import { testDoc } from "../test/testDoc.js"
import { createProject } from "./projects.js"
import { readEntities, readEntity, readWorkspace } from "./read.js"
import { createTask } from "./tasks.js"

describe("readers never crash on bad remote data", () => {
  it("skip and report entities with wrong types, missing fields or wrong shapes", () => {
    const doc = testDoc()
    const p = createProject(doc, { name: "P", color: "#000000" })
    const good = createTask(doc, { projectId: p.id, title: "ok" })
    // Raw Loro writes, as a buggy or hostile client might make them.
    const tasks = doc.getMap("tasks")
    const wrongType = tasks.setContainer("wrongType", new LoroMap())
    for (const [k, v] of Object.entries((tasks.get(good.id) as LoroMap).toJSON()))
      if (k !== "description") wrongType.set(k, v as never)
    wrongType.set("title", 42)
    const missing = tasks.setContainer("missing", new LoroMap())
    missing.set("title", "no project")
    tasks.set("scalar", "just a string")
    tasks.setContainer("list", new LoroList())
    const badStatus = tasks.setContainer("badStatus", new LoroMap())
    for (const [k, v] of Object.entries((tasks.get(good.id) as LoroMap).toJSON()))
      if (k !== "description") badStatus.set(k, v as never)
    badStatus.set("status", "someday")
    badStatus.delete("done")
    const badDesc = tasks.setContainer("badDesc", new LoroMap())
    for (const [k, v] of Object.entries((tasks.get(good.id) as LoroMap).toJSON()))
      if (k !== "description") badDesc.set(k, v as never)
    badDesc.setContainer("description", new LoroList())
    doc.getMap("projects").set("p2", 7)
    doc.getMap("members").setContainer("m1", new LoroMap()).set("name", "")
    doc.getMap("comments").setContainer("bad id!", new LoroMap())
    doc.getMap("tasks").setContainer("__proto__", new LoroMap()).set("title", "x")
    doc.getMap("unknownRoot").set("x", 1)
    doc.commit()

    const ws = readWorkspace(doc)
    expect(ws.tasks.map((t) => t.id)).toEqual([good.id])
    expect(ws.projects.map((x) => x.id)).toEqual([p.id])
    const bad = ws.issues.map((i) => `${i.collection}/${i.id}`).sort()
    expect(bad).toEqual(
      [
        "comments/bad id!",
        "members/m1",
        "projects/p2",
        "tasks/__proto__",
        "tasks/badDesc",
        "tasks/badStatus",
        "tasks/list",
        "tasks/missing",
        "tasks/scalar",
        "tasks/wrongType",
      ].sort(),
    )
    for (const i of ws.issues) expect(i.message.length).toBeGreaterThan(0)
    expect(readEntity(doc, "tasks", "scalar")._tag).toBe("Invalid")
    expect(readEntity(doc, "tasks", "list")._tag).toBe("Invalid")
    expect(readEntity(doc, "tasks", "nope")._tag).toBe("Missing")
    const some = readEntities(doc, "tasks", [good.id, "wrongType", "nope"])
    expect([...some.values()].map((r) => r._tag)).toEqual(["Found", "Invalid", "Missing"])
  })

  it("read a description written as a text with no content, or absent, as empty", () => {
    const doc = testDoc()
    const p = createProject(doc, { name: "P", color: "#000000" })
    const t = createTask(doc, { projectId: p.id, title: "x", description: "d" })
    const m = doc.getMap("tasks").get(t.id) as LoroMap
    m.delete("description")
    expect(readEntity(doc, "tasks", t.id)).toMatchObject({ _tag: "Found", entity: { description: "" } })
    m.setContainer("description", new LoroText())
    expect(readEntity(doc, "tasks", t.id)).toMatchObject({ _tag: "Found", entity: { description: "" } })
  })

  it("account for every stored entity, valid or not, whatever the field values (property)", () => {
    const field = fc.constantFrom(
      "projectId",
      "title",
      "status",
      "done",
      "priority",
      "sortKey",
      "createdAt",
      "updatedAt",
      "dueDate",
      "assigneeId",
    )
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(3), field, fc.jsonValue({ maxDepth: 2 }))), (writes) => {
        const doc = testDoc()
        const p = createProject(doc, { id: "p1", name: "P", color: "#000000" })
        for (let i = 0; i < 4; i++)
          createTask(doc, { id: `t${i}`, projectId: p.id, title: "ok", dueDate: "2025-01-01" })
        for (const [i, key, value] of writes) (doc.getMap("tasks").get(`t${i}`) as LoroMap).set(key, value as never)
        doc.commit()
        const ws = readWorkspace(doc)
        expect(ws.tasks.length + ws.issues.length).toBe(4)
        for (const t of ws.tasks)
          expect(readEntity(doc, "tasks", t.id)).toEqual({
            _tag: "Found",
            entity: expect.objectContaining({ id: t.id, status: t.status }),
          })
      }),
      { numRuns: 100 },
    )
  })
})
