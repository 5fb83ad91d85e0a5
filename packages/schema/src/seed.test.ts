import { describe, expect, it } from "vitest"
import { readWorkspace } from "./mapping/read.js"
import { seedWorkspace } from "./seed.js"
import { testDoc } from "./test/testDoc.js"

describe("seedWorkspace", () => {
  it("writes valid data only, with the counts asked for", () => {
    const doc = testDoc()
    const r = seedWorkspace(doc, { projects: 4, tasks: 500, comments: 50, members: 5, seed: 7 })
    const ws = readWorkspace(doc)
    expect(ws.issues).toEqual([])
    expect([ws.projects.length, ws.tasks.length, ws.comments.length, ws.members.length]).toEqual([4, 500, 50, 5])
    expect(r.taskIds).toHaveLength(500)
    expect(new Set(ws.tasks.map((t) => t.status)).size).toBeGreaterThan(3)
    expect(ws.tasks.some((t) => t.dueDate !== undefined && t.assigneeId !== undefined)).toBe(true)
    // Tasks are appended in creation order within each project.
    for (const p of ws.projects) {
      const inP = ws.tasks.filter((t) => t.projectId === p.id)
      expect(inP.map((t) => t.createdAt)).toEqual([...inP.map((t) => t.createdAt)].sort((x, y) => x - y))
    }
  })

  it("is deterministic for a seed", () => {
    const a = testDoc()
    const b = testDoc()
    seedWorkspace(a, { projects: 2, tasks: 100, seed: 42 })
    seedWorkspace(b, { projects: 2, tasks: 100, seed: 42 })
    expect(a.toJSON()).toEqual(b.toJSON())
    const c = testDoc()
    seedWorkspace(c, { projects: 2, tasks: 100, seed: 43 })
    expect(c.toJSON()).not.toEqual(a.toJSON())
  })

  it("seeds a large workspace in parts (each in its own document) that merge into one valid workspace", () => {
    const base = testDoc()
    const r = seedWorkspace(base, { projects: 3, tasks: 0, members: 4, seed: 9 })
    const merged = testDoc()
    merged.import(base.export({ mode: "update" }))
    for (const offset of [0, 200, 400]) {
      const part = testDoc()
      part.import(base.export({ mode: "update" }))
      const from = part.oplogVersion()
      seedWorkspace(part, { projects: 0, tasks: 200, seed: 9, part: { offset, ...r } })
      merged.import(part.export({ mode: "update", from }))
    }
    const ws = readWorkspace(merged)
    expect(ws.issues).toEqual([])
    expect([ws.projects.length, ws.tasks.length, ws.comments.length, ws.members.length]).toEqual([3, 600, 60, 4])
    expect(new Set(ws.tasks.map((t) => t.id)).size).toBe(600)
  })
})
