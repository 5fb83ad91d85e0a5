import { createProject, createTask, moveTask, readWorkspace, type Task, updateTask } from "@vibestack/schema"
import fc from "fast-check"
import { LoroDoc } from "loro-crdt"
import { describe, expect, it } from "vitest"
import { columnsOf, dropPlacement, STATUSES, stepPlacement } from "./boardMoves.js"
import { filterTasks, NO_FILTER } from "./taskFilter.js"

const board = (statuses: ReadonlyArray<(typeof STATUSES)[number]>) => {
  const doc = new LoroDoc()
  const p = createProject(doc, { name: "P", color: "#000000" })
  statuses.forEach((status, i) => createTask(doc, { projectId: p.id, title: `t${i}`, status }))
  doc.commit()
  const tasks = () => readWorkspace(doc).tasks as ReadonlyArray<Task>
  return { doc, tasks }
}

const ids = (tasks: ReadonlyArray<Task>, status: string) => tasks.filter((t) => t.status === status).map((t) => t.title)

describe("board moves (sort keys through moveTask)", () => {
  it("a drop lands exactly where it was dropped, in any column, with any filter", () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom(...STATUSES), { minLength: 1, maxLength: 12 }),
        fc.nat(),
        fc.nat(),
        fc.nat(),
        fc.boolean(),
        (statuses, a, s, o, filterEven) => {
          const { doc, tasks } = board(statuses)
          const all = tasks()
          // A filter hides some cards: placement is among shown ones only.
          const shown = filterEven
            ? all.filter((t) => Number(t.title.slice(1)) % 2 === 0 || t === all[a % all.length])
            : all
          const columns = columnsOf(shown)
          const active = all[a % all.length]!
          const status = STATUSES[s % STATUSES.length]!
          const target = columns.get(status)!
          const overCard = target.length > 0 && o % 3 !== 0 ? target[o % target.length]!.id : undefined
          const p = dropPlacement(columns, active.id, { status, cardId: overCard })
          if (p === undefined) return
          if (p.status !== active.status) updateTask(doc, active.id, { status: p.status })
          moveTask(doc, active.id, { after: p.after, before: p.before })
          doc.commit()
          const after = columnsOf(tasks().filter((t) => shown.some((x) => x.id === t.id))).get(status)!
          const at = after.findIndex((t) => t.id === active.id)
          expect(at).toBeGreaterThanOrEqual(0)
          expect(after[at - 1]?.id ?? null).toBe(p.after)
          expect(after[at + 1]?.id ?? null).toBe(p.before)
        },
      ),
      { numRuns: 200 },
    )
  })

  it("dragging down places after the card dropped on, up before it; on itself nothing", () => {
    const { tasks } = board(["todo", "todo", "todo"])
    const c = columnsOf(tasks())
    const [t0, t1, t2] = c.get("todo")!
    expect(dropPlacement(c, t0!.id, { status: "todo", cardId: t1!.id })).toEqual({
      status: "todo",
      after: t1!.id,
      before: t2!.id,
    })
    expect(dropPlacement(c, t2!.id, { status: "todo", cardId: t1!.id })).toEqual({
      status: "todo",
      after: t0!.id,
      before: t1!.id,
    })
    expect(dropPlacement(c, t1!.id, { status: "todo", cardId: t1!.id })).toBeUndefined()
    expect(dropPlacement(c, t2!.id, { status: "todo" })).toBeUndefined()
    expect(dropPlacement(c, t0!.id, { status: "done" })).toEqual({ status: "done", after: null, before: null })
  })

  it("keyboard steps: up/down swap with the neighbour, left/right go to the next column's end, edges do nothing", () => {
    const { doc, tasks } = board(["todo", "todo", "in_progress"])
    const step = (title: string, dir: "up" | "down" | "left" | "right") => {
      const t = tasks().find((x) => x.title === title)!
      const p = stepPlacement(columnsOf(tasks()), t.id, dir)
      if (p === undefined) return false
      if (p.status !== t.status) updateTask(doc, t.id, { status: p.status })
      moveTask(doc, t.id, { after: p.after, before: p.before })
      doc.commit()
      return true
    }
    expect(step("t0", "up")).toBe(false)
    expect(step("t0", "left")).toBe(false)
    expect(step("t0", "down")).toBe(true)
    expect(ids(tasks(), "todo")).toEqual(["t1", "t0"])
    expect(step("t0", "right")).toBe(true)
    expect(ids(tasks(), "in_progress")).toEqual(["t2", "t0"])
    expect(step("t0", "up")).toBe(true)
    expect(ids(tasks(), "in_progress")).toEqual(["t0", "t2"])
  })

  it("filters by assignee, priority, status and title; no filter keeps the same array", () => {
    const { doc, tasks } = board(["todo", "done", "todo"])
    const [a, b] = tasks()
    updateTask(doc, a!.id, { assigneeId: "m1", priority: "high", title: "Write the Docs" })
    updateTask(doc, b!.id, { priority: "high" })
    doc.commit()
    const all = tasks()
    expect(filterTasks(all, NO_FILTER)).toBe(all)
    const titles = (f: Partial<typeof NO_FILTER>) => filterTasks(all, { ...NO_FILTER, ...f }).map((t) => t.title)
    expect(titles({ assignee: "m1" })).toEqual(["Write the Docs"])
    expect(titles({ assignee: "none" })).toEqual(["t1", "t2"])
    expect(titles({ priority: "high", status: "done" })).toEqual(["t1"])
    expect(titles({ query: " docs " })).toEqual(["Write the Docs"])
  })
})
