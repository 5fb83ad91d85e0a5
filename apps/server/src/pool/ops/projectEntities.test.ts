import {
  COLLECTIONS,
  deleteTask,
  readEntities,
  seedWorkspace,
  setTaskDescription,
  type TaskId,
  updateTask,
} from "@vibestack/schema"
import { LoroDoc, LoroList, LoroMap, LoroText } from "loro-crdt"
import { describe, expect, it } from "vitest"
import { randomEdit, seededRandom } from "../../projection/test/workload.js"
import type { OpContext } from "./PoolOp.js"
import { projectEntities, readAllEntities, upsertRows } from "./projectEntities.js"

/** Whatever a (buggy or hostile) client may leave under a collection's keys. */
const addOddEntries = (doc: LoroDoc) => {
  const tasks = doc.getMap("tasks")
  tasks.set("plainObject", {
    projectId: "p",
    title: "t",
    status: "todo",
    priority: "none",
    sortKey: "a0",
    createdAt: 1,
    updatedAt: 1,
  })
  tasks.set("looksLikeId", "cid:1@2:Map")
  tasks.set("nullValue", null)
  tasks.setContainer("textChild", new LoroText()).insert(0, "x")
  tasks.setContainer("listChild", new LoroList()).push(1)
  tasks.setContainer("__proto__", new LoroMap()).set("title", "x")
  const bad = tasks.setContainer("badTask", new LoroMap())
  bad.set("title", 42)
  const members = doc.getMap("members")
  members.setContainer("mNested", new LoroMap()).setContainer("name", new LoroMap()).set("x", 1)
  doc.commit()
}

describe("readAllEntities", () => {
  it("reads every entity exactly like readEntities over all keys, whatever the stored values", () => {
    for (const seed of [1, 2, 3]) {
      const doc = new LoroDoc()
      const random = seededRandom(seed)
      for (let i = 0; i < 150; i++) randomEdit(doc, random)
      addOddEntries(doc)
      // Read both from a snapshot-loaded copy too: that is how the projection usually starts.
      const copy = new LoroDoc()
      copy.import(doc.export({ mode: "snapshot" }))
      for (const d of [doc, copy])
        for (const c of COLLECTIONS) {
          const expected = readEntities(d, c, d.getMap(c).keys())
          expect(readAllEntities(d, c), `seed ${seed} ${c}`).toEqual(expected)
        }
      expect(readAllEntities(doc, "tasks").get("plainObject")?._tag).toBe("Invalid")
      expect(readAllEntities(doc, "tasks").get("badTask")?._tag).toBe("Invalid")
    }
  })
})

describe("projectEntities", () => {
  /** Rows keyed `table/id` after applying a result to the rows of the committed state. */
  const applied = (before: Map<string, unknown>, r: ReturnType<typeof projectEntities>) => {
    const rows = new Map(before)
    for (const t of r.tables) {
      for (const id of t.deletes) rows.delete(`${t.table}/${id}`)
      for (const row of upsertRows(t)) rows.set(`${t.table}/${String(row[1])}`, row)
    }
    return rows
  }
  const ctxOf = (doc: LoroDoc, from: LoroDoc): OpContext => ({
    doc,
    committedSeq: 1,
    committedFrontiers: from.oplogFrontiers(),
    atCommitted: (f) => f(doc),
  })

  it("[O4] after a large batch, the entities its ops changed give the rows a fresh read gives", () => {
    for (const seed of [4, 5]) {
      const doc = new LoroDoc()
      const random = seededRandom(seed)
      seedWorkspace(doc, { tasks: 300, projects: 3, seed })
      const committed = new LoroDoc()
      committed.import(doc.export({ mode: "snapshot" }))
      // The batch: creations, edits and deletions (randomEdit does all three).
      for (let i = 0; i < 200; i++) randomEdit(doc, random)
      doc.commit()
      const copy = new LoroDoc()
      copy.import(committed.export({ mode: "snapshot" }))
      copy.import(doc.export({ mode: "update", from: committed.oplogVersion() }))
      const before = applied(new Map(), projectEntities(ctxOf(committed, new LoroDoc()), { ws: "w" }))
      const byOps = applied(before, projectEntities(ctxOf(copy, committed), { ws: "w" }))
      const fresh = applied(new Map(), projectEntities(ctxOf(copy, new LoroDoc()), { ws: "w" }))
      expect(byOps).toEqual(fresh)
      expect(before).not.toEqual(fresh)
    }
  })

  it("[O4] a small batch on a large document reports only the entities it touched", () => {
    const doc = new LoroDoc()
    seedWorkspace(doc, { tasks: 2000, projects: 3, seed: 6 })
    doc.commit()
    const committed = new LoroDoc()
    committed.import(doc.export({ mode: "snapshot" }))
    const [a, b, c] = doc.getMap("tasks").keys()
    updateTask(doc, a as TaskId, { title: "edited" })
    setTaskDescription(doc, b as TaskId, "typed")
    deleteTask(doc, c as TaskId)
    doc.commit()
    const r = projectEntities(ctxOf(doc, committed), { ws: "w" })
    const tasks = r.tables.find((t) => t.table === "tasks")!
    expect(
      upsertRows(tasks)
        .map((row) => row[1])
        .sort(),
    ).toEqual([a, b].sort())
    expect(tasks.upsertCount).toBe(2)
    expect(tasks.deletes).toEqual([c])
    expect(r.entityChanges).toBe(3)
  })
})
