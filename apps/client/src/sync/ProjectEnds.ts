import { collectionMap, compareTasks, type Task } from "@vibestack/schema"
import type { LoroDoc } from "loro-crdt"
import type { EntityGone, EntityPut } from "./docMessages.js"

interface End {
  readonly id: string
  readonly sortKey: string
}

/** Whether a task comes after `end` in its project (the board's order, `compareTasks`). */
const after = (task: End, end: End | undefined): boolean => end === undefined || compareTasks(task, end) > 0

/**
 * Per project, its last task (the greatest sort key), for "add a task at the end" without a
 * neighbour: the page names the last task only when it has read the whole list, and otherwise
 * the schema's helper reads every task of the workspace to find it (0.2-0.6 s at 20,000 tasks,
 * seconds at 100,000, in the worker every write queues behind). Found once by one read of the
 * tasks, then kept from the entity changes the replica computes anyway; a change that may have
 * lowered a project's end (its last task moved away or deleted) forgets that end until the
 * next read.
 */
export class ProjectEnds {
  private ends: Map<string, End> | undefined
  /** Projects whose end is unknown until the next read (their last task left or changed). */
  private stale = new Set<string>()

  /** The last task of `projectId`, or undefined when it has none. */
  lastTask(doc: LoroDoc, projectId: string): string | undefined {
    if (this.ends === undefined || this.stale.has(projectId)) this.readAll(doc)
    return this.ends?.get(projectId)?.id
  }

  /** After the replica read its changed entities (a local commit or an import). */
  note(puts: ReadonlyArray<EntityPut>, gone: ReadonlyArray<EntityGone>): void {
    const ends = this.ends
    if (ends === undefined) return
    const endOf = new Map<string, string>()
    for (const [project, end] of ends) endOf.set(end.id, project)
    for (const g of gone) {
      const project = g.c === "tasks" ? endOf.get(g.id) : undefined
      if (project !== undefined) this.stale.add(project)
    }
    for (const p of puts) {
      if (p.c !== "tasks") continue
      const task = p.entity as Task
      // It was some project's end: if it left that project or its key went down, that end is unknown.
      const was = endOf.get(task.id)
      if (was !== undefined && (was !== task.projectId || task.sortKey < ends.get(was)!.sortKey)) this.stale.add(was)
      if (after(task, ends.get(task.projectId))) ends.set(task.projectId, { id: task.id, sortKey: task.sortKey })
    }
  }

  /** After changes not read one by one (a large import): everything is read again when next asked. */
  forget(): void {
    this.ends = undefined
    this.stale.clear()
  }

  private readAll(doc: LoroDoc): void {
    const ends = new Map<string, End>()
    const tasks = collectionMap(doc, "tasks").toJSON() as Record<string, { projectId?: unknown; sortKey?: unknown }>
    for (const [id, t] of Object.entries(tasks)) {
      if (t === null || typeof t.projectId !== "string" || typeof t.sortKey !== "string") continue
      const end = { id, sortKey: t.sortKey }
      if (after(end, ends.get(t.projectId))) ends.set(t.projectId, end)
    }
    this.ends = ends
    this.stale.clear()
  }
}
