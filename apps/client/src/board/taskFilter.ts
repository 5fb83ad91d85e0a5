import type { Task, TaskPriority, TaskStatus } from "@vibestack/schema"

/** The board's filter: "" means any; `assignee` "none" means unassigned. */
export interface TaskFilter {
  readonly assignee: string
  readonly priority: TaskPriority | ""
  readonly status: TaskStatus | ""
  readonly query: string
}

export const NO_FILTER: TaskFilter = { assignee: "", priority: "", status: "", query: "" }

export const isFiltering = (f: TaskFilter): boolean =>
  f.assignee !== "" || f.priority !== "" || f.status !== "" || f.query.trim() !== ""

/** The tasks the filter lets through, in their order; the same array when nothing filters (memoised columns stay). */
export const filterTasks = (tasks: ReadonlyArray<Task>, f: TaskFilter): ReadonlyArray<Task> => {
  if (!isFiltering(f)) return tasks
  const q = f.query.trim().toLocaleLowerCase()
  return tasks.filter(
    (t) =>
      (f.assignee === "" || (f.assignee === "none" ? t.assigneeId === undefined : t.assigneeId === f.assignee)) &&
      (f.priority === "" || t.priority === f.priority) &&
      (f.status === "" || t.status === f.status) &&
      (q === "" || t.title.toLocaleLowerCase().includes(q)),
  )
}
