import { describe, expect, it } from "vitest"
import { addComment } from "./mapping/comments.js"
import { upsertMember } from "./mapping/members.js"
import { createProject } from "./mapping/projects.js"
import { readWorkspace } from "./mapping/read.js"
import { createTask } from "./mapping/tasks.js"
import { projectionTables } from "./tables.js"
import { testDoc } from "./test/testDoc.js"

describe("projection table definitions", () => {
  it("produce one value per column, null only where nullable", () => {
    const doc = testDoc()
    const p = createProject(doc, { name: "P", color: "#000000" }, { now: 0 })
    const m = upsertMember(doc, { name: "Ada", color: "#ffffff" })
    const t = createTask(doc, { projectId: p.id, title: "T", dueDate: "2025-03-01", assigneeId: m.id }, { now: 1000 })
    createTask(doc, { projectId: p.id, title: "U" })
    addComment(doc, { taskId: t.id, authorId: m.id, body: "b" })
    const ws = readWorkspace(doc)
    const rows = {
      projects: ws.projects.map((e) => projectionTables.projects.toRow("ws1", e)),
      tasks: ws.tasks.map((e) => projectionTables.tasks.toRow("ws1", e)),
      comments: ws.comments.map((e) => projectionTables.comments.toRow("ws1", e)),
      members: ws.members.map((e) => projectionTables.members.toRow("ws1", e)),
    }
    for (const [name, table] of Object.entries(projectionTables)) {
      expect(table.name).toBe(name)
      for (const row of rows[name as keyof typeof rows]) {
        expect(row).toHaveLength(table.columns.length)
        table.columns.forEach((c, i) => {
          if (!c.nullable) expect(row[i], `${name}.${c.name}`).not.toBeNull()
        })
      }
    }
    expect(rows.projects[0]).toEqual(["ws1", p.id, "P", "#000000", false, "1970-01-01T00:00:00.000Z"])
    const tRow = rows.tasks.find((r) => r[1] === t.id)!
    expect(tRow.slice(7, 10)).toEqual([m.id, "2025-03-01", t.sortKey])
  })
})
