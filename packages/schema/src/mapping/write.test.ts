import { describe, expect, it } from "vitest"
import { TASK_DESCRIPTION_MAX } from "../Task.js"
import { testDoc } from "../test/testDoc.js"
import { addComment, deleteComment } from "./comments.js"
import { InvalidWrite } from "./InvalidWrite.js"
import { deleteMember, upsertMember } from "./members.js"
import { createProject, deleteProject, updateProject } from "./projects.js"
import { readEntity, readWorkspace } from "./read.js"
import { createTask, deleteTask, moveTask, setTaskDescription, taskDescription, updateTask } from "./tasks.js"

const NOW = { now: Date.UTC(2025, 5, 1) }

const setup = () => {
  const doc = testDoc()
  const p = createProject(doc, { name: "Website", color: "#3b82f6" }, NOW)
  const m = upsertMember(doc, { name: "Ada", color: "#e11d48" })
  return { doc, p, m }
}

const titlesOf = (doc: ReturnType<typeof testDoc>, projectId: string) =>
  readWorkspace(doc)
    .tasks.filter((t) => t.projectId === projectId)
    .map((t) => `${t.orderIndex}:${t.title}`)

describe("write helpers round-trip", () => {
  it("projects: create, update, delete", () => {
    const { doc, p } = setup()
    expect(readEntity(doc, "projects", p.id)).toEqual({ _tag: "Found", entity: p })
    const u = updateProject(doc, p.id, { name: "Site", archived: true })
    expect(u).toMatchObject({ name: "Site", archived: true, color: "#3b82f6", createdAt: NOW.now })
    expect(readWorkspace(doc).projects).toEqual([u])
    deleteProject(doc, p.id)
    expect(readEntity(doc, "projects", p.id)).toEqual({ _tag: "Missing" })
  })

  it("tasks: create with every field, update, clear optionals, read back", () => {
    const { doc, p, m } = setup()
    const t = createTask(
      doc,
      {
        projectId: p.id,
        title: "Fix login",
        description: "Steps",
        status: "in_progress",
        priority: "high",
        assigneeId: m.id,
        dueDate: "2025-07-01",
      },
      NOW,
    )
    doc.commit()
    expect(readEntity(doc, "tasks", t.id)).toEqual({ _tag: "Found", entity: t })
    expect(doc.getMap("tasks").get(t.id)).toBeDefined()
    const u = updateTask(doc, t.id, { status: "done", assigneeId: null, dueDate: null }, { now: NOW.now + 1 })
    expect(u.assigneeId).toBeUndefined()
    expect(u.dueDate).toBeUndefined()
    const read = readEntity(doc, "tasks", t.id)
    expect(read).toEqual({ _tag: "Found", entity: u })
    // v2 writers keep the legacy flag in step with status.
    expect(doc.getByPath(`tasks/${t.id}/done`)).toBe(true)
    updateTask(doc, t.id, { status: "todo" })
    expect(doc.getByPath(`tasks/${t.id}/done`)).toBe(false)
  })

  it("tasks: description is a collaborative text", () => {
    const { doc, p } = setup()
    const t = createTask(doc, { projectId: p.id, title: "Doc" })
    setTaskDescription(doc, t.id, "hello world")
    taskDescription(doc, t.id).insert(5, ",")
    const r = readEntity(doc, "tasks", t.id)
    expect(r._tag === "Found" && r.entity.description).toBe("hello, world")
  })

  it("tasks: a description pasted whole (near 100,000 characters) is written at once; edits elsewhere survive", () => {
    const { doc, p } = setup()
    const t = createTask(doc, { projectId: p.id, title: "T" })
    setTaskDescription(doc, t.id, "kept")
    doc.commit()
    const pasted = "f".repeat(TASK_DESCRIPTION_MAX - 20)
    setTaskDescription(doc, t.id, pasted)
    doc.commit()
    expect(taskDescription(doc, t.id).toString()).toBe(pasted)
    const other = testDoc()
    other.import(doc.export({ mode: "snapshot" }))
    taskDescription(other, t.id).insert(0, "remote ")
    setTaskDescription(doc, t.id, `${pasted}!`)
    doc.commit()
    other.commit()
    doc.import(other.export({ mode: "update" }))
    expect(taskDescription(doc, t.id).toString()).toBe(`remote ${pasted}!`)
  })

  it("tasks: positions, moves within and across projects", () => {
    const { doc, p } = setup()
    const a = createTask(doc, { projectId: p.id, title: "A" })
    const c = createTask(doc, { projectId: p.id, title: "C" })
    createTask(doc, { projectId: p.id, title: "B", position: { after: a.id, before: c.id } })
    createTask(doc, { projectId: p.id, title: "Z", position: { after: null, before: a.id } })
    expect(titlesOf(doc, p.id)).toEqual(["0:Z", "1:A", "2:B", "3:C"])
    moveTask(doc, a.id, { after: c.id, before: null })
    expect(titlesOf(doc, p.id)).toEqual(["0:Z", "1:B", "2:C", "3:A"])
    const q = createProject(doc, { name: "Other", color: "#000000" })
    moveTask(doc, c.id, { projectId: q.id, after: null, before: null })
    expect(titlesOf(doc, p.id)).toEqual(["0:Z", "1:B", "2:A"])
    expect(titlesOf(doc, q.id)).toEqual(["0:C"])
  })

  it("tasks and projects: deletes cascade to comments and tasks", () => {
    const { doc, p, m } = setup()
    const t = createTask(doc, { projectId: p.id, title: "T" })
    const c = addComment(doc, { taskId: t.id, authorId: m.id, body: "hi" })
    deleteTask(doc, t.id)
    expect(readEntity(doc, "comments", c.id)).toEqual({ _tag: "Missing" })
    const t2 = createTask(doc, { projectId: p.id, title: "T2" })
    addComment(doc, { taskId: t2.id, authorId: m.id, body: "hi" })
    deleteProject(doc, p.id)
    const ws = readWorkspace(doc)
    expect([ws.projects, ws.tasks, ws.comments]).toEqual([[], [], []])
  })

  it("deleteTask with the task's comments named deletes those, and never another task's", () => {
    const { doc, p, m } = setup()
    const t = createTask(doc, { projectId: p.id, title: "T" })
    const other = createTask(doc, { projectId: p.id, title: "O" })
    const mine = addComment(doc, { taskId: t.id, authorId: m.id, body: "mine" })
    const theirs = addComment(doc, { taskId: other.id, authorId: m.id, body: "theirs" })
    // A stale index: names another task's comment and one already gone.
    deleteTask(doc, t.id, { comments: [mine.id, theirs.id, "gone"] })
    expect(readEntity(doc, "comments", mine.id)).toEqual({ _tag: "Missing" })
    expect(readEntity(doc, "comments", theirs.id)._tag).toBe("Found")
    expect(readEntity(doc, "tasks", t.id)).toEqual({ _tag: "Missing" })
  })

  it("comments and members", () => {
    const { doc, p, m } = setup()
    const t = createTask(doc, { projectId: p.id, title: "T" })
    const c = addComment(doc, { taskId: t.id, authorId: m.id, body: "Looks good" }, NOW)
    expect(readEntity(doc, "comments", c.id)).toEqual({ _tag: "Found", entity: c })
    const m2 = upsertMember(doc, { id: m.id, name: "Ada L.", color: "#000000" })
    expect(readWorkspace(doc).members).toEqual([m2])
    deleteComment(doc, c.id)
    deleteMember(doc, m.id)
    expect(readWorkspace(doc)).toMatchObject({ comments: [], members: [] })
  })
})

describe("invalid writes are rejected and write nothing", () => {
  const cases: Array<[string, (s: ReturnType<typeof setup>) => unknown]> = [
    ["blank project name", ({ doc }) => createProject(doc, { name: "  ", color: "#000000" })],
    ["bad color", ({ doc }) => createProject(doc, { name: "X", color: "red" })],
    ["bad id", ({ doc }) => createProject(doc, { id: "a b", name: "X", color: "#000000" })],
    ["duplicate id", ({ doc, p }) => createProject(doc, { id: p.id, name: "X", color: "#000000" })],
    ["unknown project", ({ doc }) => createTask(doc, { projectId: "nope", title: "T" })],
    ["title too long", ({ doc, p }) => createTask(doc, { projectId: p.id, title: "x".repeat(501) })],
    ["bad status", ({ doc, p }) => createTask(doc, { projectId: p.id, title: "T", status: "later" as never })],
    ["impossible date", ({ doc, p }) => createTask(doc, { projectId: p.id, title: "T", dueDate: "2025-02-30" })],
    [
      "neighbour elsewhere",
      ({ doc, p }) => createTask(doc, { projectId: p.id, title: "T", position: { after: "x", before: null } }),
    ],
    ["update missing task", ({ doc }) => updateTask(doc, "missing", { title: "T" })],
    ["empty comment", ({ doc, m }) => addComment(doc, { taskId: "t", authorId: m.id, body: "" })],
    ["comment on missing task", ({ doc, m }) => addComment(doc, { taskId: "missing", authorId: m.id, body: "x" })],
    ["reserved id", ({ doc }) => upsertMember(doc, { id: "__proto__", name: "X", color: "#000000" })],
  ]
  for (const [name, write] of cases) {
    it(name, () => {
      const s = setup()
      s.doc.commit()
      const before = s.doc.frontiers()
      expect(() => write(s)).toThrow(InvalidWrite)
      s.doc.commit()
      expect(s.doc.frontiers()).toEqual(before)
    })
  }
})
