import {
  type ChangedEntities,
  COLLECTIONS,
  type Collection,
  type Comment,
  compareTasks,
  type EntityOf,
  type Member,
  type Project,
  readEntities,
  readWorkspace,
  type Task,
} from "@vibestack/schema"
import type { Frontiers, LoroDoc } from "loro-crdt"
import type { IndexCacheRow } from "../db/DexieLocalStore.js"

/** Frontiers as a stable string: the cache key of an index read at that document version. */
export const versionKey = (f: Frontiers): string => JSON.stringify([...f].map((x) => `${x.counter}@${x.peer}`).sort())

/**
 * Plain, immutable entity objects mirrored from the LoroDoc. Filled once at open, then only
 * the entities named by each change batch are re-read, so an edit costs one entity's read,
 * not a `toJSON` of the whole document. Unchanged entities keep their object identity, which
 * lets React skip their rows.
 */
export class EntityIndex {
  readonly projects = new Map<string, Project>()
  readonly tasks = new Map<string, Task>()
  readonly comments = new Map<string, Comment>()
  readonly members = new Map<string, Member>()
  /** Sorted tasks per project, kept up to date incrementally (built on first use). */
  /** The document version the entities mirror (advanced by each applied batch). */
  version: string | undefined
  private tasksByProjectCache: Map<string, ReadonlyArray<Task>> | undefined
  private commentsByTaskCache: Map<string, ReadonlyArray<Comment>> | undefined

  private map<C extends Collection>(c: C): Map<string, EntityOf[C]> {
    return (
      c === "projects" ? this.projects : c === "tasks" ? this.tasks : c === "comments" ? this.comments : this.members
    ) as Map<string, EntityOf[C]>
  }

  loadAll(doc: LoroDoc): void {
    this.version = versionKey(doc.frontiers())
    const view = readWorkspace(doc)
    for (const p of view.projects) this.projects.set(p.id, p)
    for (const { orderIndex: _, ...t } of view.tasks) this.tasks.set(t.id, t)
    for (const c of view.comments) this.comments.set(c.id, c)
    for (const m of view.members) this.members.set(m.id, m)
    this.tasksByProjectCache = undefined
    this.commentsByTaskCache = undefined
  }

  /** Fills the index from a cache row taken at exactly this document version (skips reading the doc). */
  loadCache(row: IndexCacheRow): void {
    this.version = row.version
    for (const p of row.projects) this.projects.set(p.id, p)
    for (const t of row.tasks) this.tasks.set(t.id, t)
    for (const c of row.comments) this.comments.set(c.id, c)
    for (const m of row.members) this.members.set(m.id, m)
    this.tasksByProjectCache = undefined
    this.commentsByTaskCache = undefined
  }

  toCache(ws: string): IndexCacheRow | undefined {
    if (this.version === undefined) return undefined
    return {
      ws,
      version: this.version,
      projects: [...this.projects.values()],
      tasks: [...this.tasks.values()],
      comments: [...this.comments.values()],
      members: [...this.members.values()],
    }
  }

  /** `to`: the frontiers after the batch (`LoroEventBatch.to`). */
  apply(doc: LoroDoc, changed: ChangedEntities, to?: Frontiers): void {
    if (to !== undefined) this.version = versionKey(to)
    for (const c of COLLECTIONS) {
      const ids = changed.ids(c)
      if (ids.size === 0) continue
      const target = this.map(c)
      const before = c === "tasks" ? new Map([...ids].map((id) => [id, this.tasks.get(id)])) : undefined
      for (const [id, read] of readEntities(doc, c, ids)) {
        if (read._tag === "Found") target.set(id, read.entity)
        else target.delete(id)
      }
      if (before !== undefined) this.regroupTasks(before)
      if (c === "comments") this.commentsByTaskCache = undefined
    }
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

  /** Projects in creation order. */
  projectList(): ReadonlyArray<Project> {
    return [...this.projects.values()].sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1))
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
    return this.tasksByProjectCache.get(projectId) ?? []
  }

  commentsOf(taskId: string): ReadonlyArray<Comment> {
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
