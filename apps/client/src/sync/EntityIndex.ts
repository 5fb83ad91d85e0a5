import {
  type Collection,
  type Comment,
  compareTasks,
  type EntityOf,
  type Member,
  type Project,
  type Task,
} from "@vibestack/schema"

/**
 * The entities this tab has read, as plain immutable objects: every project and member, a
 * window of each project's tasks, the comments of opened tasks. Filled from IndexedDB rows and
 * kept current by the document worker's entity changes (the page never reads the LoroDoc).
 * Unchanged entities keep their object identity, which lets React skip their rows.
 */
export class EntityIndex {
  readonly projects = new Map<string, Project>()
  readonly tasks = new Map<string, Task>()
  readonly comments = new Map<string, Comment>()
  readonly members = new Map<string, Member>()
  /** Sorted tasks per project, kept up to date incrementally (built on first use). */
  private tasksByProjectCache: Map<string, ReadonlyArray<Task>> | undefined
  private commentsByTaskCache: Map<string, ReadonlyArray<Comment>> | undefined
  /** Projects in order; a new array only when a project changed (the board re-renders then only). */
  private projectListCache: ReadonlyArray<Project> | undefined

  private map<C extends Collection>(c: C): Map<string, EntityOf[C]> {
    return (
      c === "projects" ? this.projects : c === "tasks" ? this.tasks : c === "comments" ? this.comments : this.members
    ) as Map<string, EntityOf[C]>
  }

  /** Entities from IndexedDB rows (a window of each list) or from the worker's changes. */
  put<C extends Collection>(c: C, entities: ReadonlyArray<EntityOf[C]>): void {
    const target = this.map(c)
    const before = c === "tasks" ? new Map<string, Task | undefined>() : undefined
    for (const e of entities) {
      before?.set(e.id, this.tasks.get(e.id))
      target.set(e.id, e)
    }
    if (before !== undefined) this.regroupTasks(before)
    if (entities.length > 0) this.invalidate(c)
  }

  private invalidate(c: Collection): void {
    if (c === "comments") this.commentsByTaskCache = undefined
    if (c === "projects") this.projectListCache = undefined
  }

  remove(c: Collection, ids: ReadonlyArray<string>): void {
    const target = this.map(c)
    const before = c === "tasks" ? new Map(ids.map((id) => [id, this.tasks.get(id)])) : undefined
    for (const id of ids) target.delete(id)
    if (before !== undefined) this.regroupTasks(before)
    if (ids.length > 0) this.invalidate(c)
  }

  /** Drops every entity of `c` (before reading its windows again). */
  clear(c: Collection): void {
    this.map(c).clear()
    if (c === "tasks") this.tasksByProjectCache = undefined
    this.invalidate(c)
  }

  /**
   * Moves only the changed tasks between the cached per-project arrays: an edit costs a
   * binary search and a splice in its project, not a re-sort of every task. Touched projects
   * get a new array (so their column re-renders); the others keep theirs.
   */
  private regroupTasks(before: ReadonlyMap<string, Task | undefined>): void {
    const groups = this.tasksByProjectCache
    if (groups === undefined) return
    const touched = new Map<string, Array<Task>>()
    const group = (projectId: string): Array<Task> => {
      let g = touched.get(projectId)
      if (g === undefined) {
        g = [...(groups.get(projectId) ?? [])]
        touched.set(projectId, g)
      }
      return g
    }
    for (const [id, old] of before) {
      if (old !== undefined) {
        const g = group(old.projectId)
        const at = indexOf(g, old)
        if (at >= 0) g.splice(at, 1)
      }
      const now = this.tasks.get(id)
      if (now !== undefined) {
        const g = group(now.projectId)
        g.splice(insertionPoint(g, now), 0, now)
      }
    }
    for (const [projectId, g] of touched) groups.set(projectId, g)
  }

  /** Projects in creation order: the same array until one of them changes. */
  projectList(): ReadonlyArray<Project> {
    this.projectListCache ??= [...this.projects.values()].sort(
      (a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1),
    )
    return this.projectListCache
  }

  tasksOf(projectId: string): ReadonlyArray<Task> {
    if (this.tasksByProjectCache === undefined) {
      const groups = new Map<string, Array<Task>>()
      for (const t of this.tasks.values()) {
        let g = groups.get(t.projectId)
        if (g === undefined) groups.set(t.projectId, (g = []))
        g.push(t)
      }
      for (const g of groups.values()) g.sort(compareTasks)
      this.tasksByProjectCache = groups
    }
    // One empty array: React compares what a subscription reads by identity (a new [] each
    // read is a change each read, and a render loop).
    return this.tasksByProjectCache.get(projectId) ?? NO_TASKS
  }

  /** Called the first time a task's comments are asked for (they are read from IndexedDB then). */
  onCommentsWanted: ((taskId: string) => void) | undefined

  commentsOf(taskId: string): ReadonlyArray<Comment> {
    this.onCommentsWanted?.(taskId)
    if (this.commentsByTaskCache === undefined) {
      const groups = new Map<string, Array<Comment>>()
      for (const c of this.comments.values()) {
        let g = groups.get(c.taskId)
        if (g === undefined) groups.set(c.taskId, (g = []))
        g.push(c)
      }
      for (const g of groups.values()) g.sort((a, b) => a.createdAt - b.createdAt)
      this.commentsByTaskCache = groups
    }
    return this.commentsByTaskCache.get(taskId) ?? []
  }
}

const NO_TASKS: ReadonlyArray<Task> = Object.freeze([])

/** First index whose task sorts at or after `t`. */
const insertionPoint = (g: ReadonlyArray<Task>, t: Task): number => {
  let lo = 0
  let hi = g.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (compareTasks(g[mid]!, t) < 0) lo = mid + 1
    else hi = mid
  }
  return lo
}

const indexOf = (g: ReadonlyArray<Task>, t: Task): number => {
  const at = insertionPoint(g, t)
  if (g[at]?.id === t.id) return at
  // Not where its sort key says (should not happen): fall back to a scan.
  return g.findIndex((x) => x.id === t.id)
}
