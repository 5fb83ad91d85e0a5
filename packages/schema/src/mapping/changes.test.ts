import fc from "fast-check"
import { type Frontiers, LoroDoc } from "loro-crdt"
import { describe, expect, it } from "vitest"
import { syncDocs, testDoc } from "../test/testDoc.js"
import { type Action, actionArb, applyEdit } from "../test/workload.js"
import { type ChangedEntities, changedEntitiesBetween } from "./changes.js"
import { addComment } from "./comments.js"
import { COLLECTIONS } from "./layout.js"
import { upsertMember } from "./members.js"
import { createProject, updateProject } from "./projects.js"
import { readEntity } from "./read.js"
import { createTask, deleteTask, moveTask, setTaskDescription, updateTask } from "./tasks.js"

const refs = (c: ChangedEntities) =>
  c
    .toArray()
    .map((r) => `${r.collection}/${r.id}`)
    .sort()

describe("changed-entity detection", () => {
  it("finds exactly the entities touched between two versions", () => {
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
    // The same on a device that imports those changes.
    const before = b.frontiers()
    b.import(a.export({ mode: "update", from: b.oplogVersion() }))
    expect(refs(changedEntitiesBetween(b, before, b.frontiers()))).toEqual(expected)
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

/** Entities whose read differs between `from` and now: what a changed-entity set must cover. */
const readsThatDiffer = (doc: LoroDoc, from: Frontiers): Array<string> => {
  const past = new LoroDoc()
  past.import(doc.export({ mode: "snapshot" }))
  past.checkout(from)
  const out: Array<string> = []
  for (const c of COLLECTIONS)
    for (const id of new Set([...past.getMap(c).keys(), ...doc.getMap(c).keys()]))
      if (JSON.stringify(readEntity(past, c, id)) !== JSON.stringify(readEntity(doc, c, id))) out.push(`${c}/${id}`)
  return out.sort()
}

describe("changedEntitiesBetween", () => {
  it("property: covers every entity whose read changed, with concurrent edits of other devices merged in", () => {
    fc.assert(
      fc.property(
        fc.array(actionArb(3), { maxLength: 30 }),
        fc.array(actionArb(3), { minLength: 1, maxLength: 40 }),
        (before: Array<Action>, after: Array<Action>) => {
          const peers = [testDoc(), testDoc(), testDoc()]
          const base = peers[0]!
          createProject(base, { id: "p0", name: "P", color: "#000000" })
          base.commit()
          for (const p of peers.slice(1)) p.import(base.export({ mode: "snapshot" }))
          const run = (a: Action) => {
            if (a._tag === "Sync" || a._tag === "Push") {
              const [from, to] = a._tag === "Sync" ? [a.from, a.to] : [a.peer, 0]
              peers[to]!.import(peers[from]!.export({ mode: "update", from: peers[to]!.oplogVersion() }))
            } else applyEdit(peers[a.peer]!, a)
          }
          before.forEach(run)
          const from = base.frontiers()
          after.forEach(run)
          // Everything the others did, concurrent edits included, reaches device 0 last.
          for (const p of peers.slice(1)) base.import(p.export({ mode: "update", from: base.oplogVersion() }))
          const found = new Set(refs(changedEntitiesBetween(base, from, base.frontiers())))
          for (const changed of readsThatDiffer(base, from)) expect(found).toContain(changed)
          // And no entity that no op in between touched.
          if (base.frontiers().every((f) => from.some((g) => g.peer === f.peer && g.counter === f.counter)))
            expect(found.size).toBe(0)
        },
      ),
      { numRuns: 150 },
    )
  })
})
