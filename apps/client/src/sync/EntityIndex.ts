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
import type { LoroDoc } from "loro-crdt"

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
  private tasksByProjectCache: Map<string, ReadonlyArray<Task>> | undefined
  private commentsByTaskCache: Map<string, ReadonlyArray<Comment>> | undefined

  private map<C extends Collection>(c: C): Map<string, EntityOf[C]> {
    return (
      c === "projects" ? this.projects : c === "tasks" ? this.tasks : c === "comments" ? this.comments : this.members
    ) as Map<string, EntityOf[C]>
  }

  loadAll(doc: LoroDoc): void {
    const view = readWorkspace(doc)
    for (const p of view.projects) this.projects.set(p.id, p)
    for (const { orderIndex: _, ...t } of view.tasks) this.tasks.set(t.id, t)
    for (const c of view.comments) this.comments.set(c.id, c)
    for (const m of view.members) this.members.set(m.id, m)
    this.tasksByProjectCache = undefined
    this.commentsByTaskCache = undefined
  }

  apply(doc: LoroDoc, changed: ChangedEntities): void {
    for (const c of COLLECTIONS) {
      const ids = changed.ids(c)
      if (ids.size === 0) continue
      const target = this.map(c)
      for (const [id, read] of readEntities(doc, c, ids)) {
        if (read._tag === "Found") target.set(id, read.entity)
        else target.delete(id)
      }
      if (c === "tasks") this.tasksByProjectCache = undefined
      if (c === "comments") this.commentsByTaskCache = undefined
    }
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
