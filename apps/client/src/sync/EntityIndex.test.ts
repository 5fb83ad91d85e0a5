import type { Project, Task } from "@vibestack/schema"
import { describe, expect, it } from "vitest"
import { sameRow } from "../components/TaskRow.js"
import { EntityIndex } from "./EntityIndex.js"
import type { WorkspaceSession } from "./WorkspaceSession.js"

const project = (id: string, createdAt: number): Project =>
  ({ id, name: id, color: "#000000", createdAt, archived: false }) as Project
const task = (id: string, projectId: string, sortKey: string): Task =>
  ({
    id,
    projectId,
    title: `Task ${id}`,
    description: "",
    status: "todo",
    priority: "none",
    sortKey,
    createdAt: 1,
    updatedAt: 1,
  }) as Task

const filled = () => {
  const index = new EntityIndex()
  index.put("projects", [project("p1", 1), project("p2", 2)])
  index.put("tasks", [task("a", "p1", "a"), task("b", "p1", "b"), task("c", "p2", "a")])
  return index
}

const session = {} as WorkspaceSession
const onSelect = () => undefined
/** A row's props as its list passes them (the same session and callback every render). */
const rowProps = (t: Task) => ({
  task: t,
  prevId: undefined,
  prevPrevId: undefined,
  nextId: undefined,
  nextNextId: undefined,
  session,
  readOnly: false,
  selected: false,
  onSelect,
})

describe("EntityIndex identities (what React skips)", () => {
  it("[U7] a keystroke in one task's description re-renders its project's list and no row: other projects, the project list and the row props stay the same", () => {
    const index = filled()
    const projects = index.projectList()
    const p1 = index.tasksOf("p1")
    const p2 = index.tasksOf("p2")
    const before = index.tasks.get("a")!
    index.put("tasks", [{ ...before, description: "typed" }])
    expect(index.projectList()).toBe(projects)
    expect(index.tasksOf("p2")).toBe(p2)
    expect(index.tasksOf("p1")).not.toBe(p1)
    expect(index.tasksOf("p1")[1]).toBe(p1[1])
    // The row of the task typed into shows nothing that changed: it is not rendered again.
    const after = index.tasksOf("p1")[0]!
    expect(after.description).toBe("typed")
    expect(sameRow(rowProps(before), rowProps(after))).toBe(true)
    // A title is shown: that row (and only that one) renders again.
    index.put("tasks", [{ ...after, title: "Renamed" }])
    expect(sameRow(rowProps(after), rowProps(index.tasksOf("p1")[0]!))).toBe(false)
    expect(sameRow(rowProps(p1[1]!), rowProps(index.tasksOf("p1")[1]!))).toBe(true)
  })

  it("[U7] a project whose tasks are not read yet reads as the same empty array every time (a subscription that sees a new one each read never settles)", () => {
    const index = filled()
    index.put("projects", [project("p3", 3)])
    expect(index.tasksOf("p3")).toEqual([])
    expect(index.tasksOf("p3")).toBe(index.tasksOf("p3"))
    expect(new EntityIndex().tasksOf("p1")).toBe(index.tasksOf("p3"))
  })

  it("[U7] the project list is a new array only when a project changed", () => {
    const index = filled()
    const projects = index.projectList()
    index.put("projects", [])
    index.remove("projects", [])
    index.put("tasks", [task("d", "p2", "b")])
    expect(index.projectList()).toBe(projects)
    index.put("projects", [{ ...projects[0]!, name: "Renamed" }])
    expect(index.projectList()).not.toBe(projects)
    expect(index.projectList().map((p) => p.name)).toEqual(["Renamed", "p2"])
    index.remove("projects", ["p1"])
    expect(index.projectList().map((p) => p.id)).toEqual(["p2"])
  })
})
