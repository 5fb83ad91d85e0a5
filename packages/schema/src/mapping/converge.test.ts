import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { syncDocs, testDoc } from "../test/testDoc.js"
import { createProject } from "./projects.js"
import { readWorkspace } from "./read.js"
import { createTask, moveTask, setTaskDescription, taskDescription, updateTask } from "./tasks.js"

const setupPair = () => {
  const a = testDoc()
  const p = createProject(a, { id: "p1", name: "P", color: "#000000" })
  for (let i = 0; i < 5; i++) createTask(a, { id: `t${i}`, projectId: p.id, title: `task ${i}` })
  a.commit()
  const b = testDoc()
  syncDocs(a, b)
  return { a, b }
}

describe("concurrent edits from two devices converge", () => {
  it("field edits, text edits and moves merge to the same workspace", () => {
    const { a, b } = setupPair()
    updateTask(a, "t0", { title: "from A", priority: "high" })
    updateTask(b, "t0", { status: "in_review" })
    setTaskDescription(a, "t1", "hello")
    a.commit()
    syncDocs(a, b)
    taskDescription(a, "t1").insert(5, " A")
    taskDescription(b, "t1").insert(0, "B ")
    moveTask(a, "t4", { after: null, before: "t0" })
    moveTask(b, "t4", { after: "t2", before: "t3" })
    createTask(a, { id: "na", projectId: "p1", title: "new A", position: { after: "t1", before: "t2" } })
    createTask(b, { id: "nb", projectId: "p1", title: "new B", position: { after: "t1", before: "t2" } })
    a.commit()
    b.commit()
    syncDocs(a, b)
    const wa = readWorkspace(a)
    expect(wa).toEqual(readWorkspace(b))
    expect(wa.issues).toEqual([])
    const t0 = wa.tasks.find((t) => t.id === "t0")!
    expect([t0.title, t0.priority, t0.status]).toEqual(["from A", "high", "in_review"])
    expect(wa.tasks.find((t) => t.id === "t1")!.description).toBe("B hello A")
    // t4 exists once; both new tasks sit between t1 and t2.
    const order: Array<string> = wa.tasks.map((t) => t.id)
    expect(order.filter((id) => id === "t4")).toHaveLength(1)
    expect(order.slice(order.indexOf("t1") + 1, order.indexOf("t1") + 3).sort()).toEqual(["na", "nb"])
  })

  it("two devices giving a task its first description concurrently share one text", () => {
    const { a, b } = setupPair()
    taskDescription(a, "t3").insert(0, "from A.")
    setTaskDescription(b, "t3", "from B.")
    a.commit()
    b.commit()
    syncDocs(a, b)
    const text = readWorkspace(a).tasks.find((t) => t.id === "t3")!.description
    expect(text).toEqual(readWorkspace(b).tasks.find((t) => t.id === "t3")!.description)
    expect(text.length).toBe("from A.from B.".length)
    expect(text).toContain("from A.")
    expect(text).toContain("from B.")
  })

  it("random concurrent moves keep every task exactly once in one agreed order", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), fc.nat(4), fc.nat(5)), { minLength: 1, maxLength: 20 }), (moves) => {
        const { a, b } = setupPair()
        for (const [onA, task, slot] of moves) {
          const doc = onA ? a : b
          const ids = readWorkspace(doc)
            .tasks.map((t) => t.id)
            .filter((id) => id !== `t${task}`)
          const i = Math.min(slot, ids.length)
          moveTask(doc, `t${task}`, { after: ids[i - 1] ?? null, before: ids[i] ?? null })
          doc.commit()
        }
        syncDocs(a, b)
        const wa = readWorkspace(a).tasks.map((t) => t.id)
        expect(readWorkspace(b).tasks.map((t) => t.id)).toEqual(wa)
        expect([...wa].sort()).toEqual(["t0", "t1", "t2", "t3", "t4"])
      }),
      { numRuns: 50 },
    )
  })
})
