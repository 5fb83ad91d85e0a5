import { Either } from "effect"
import { isContainer, type LoroDoc, LoroMap } from "loro-crdt"
import type { Comment } from "../Comment.js"
import type { Member } from "../Member.js"
import type { Project } from "../Project.js"
import type { Task } from "../Task.js"
import { compareTasks } from "./compareTasks.js"
import { decodeEntity, type EntityOf, type ReadIssue } from "./decode.js"
import { type Collection, collectionMap } from "./layout.js"

export { compareTasks }

/** A task with its 0-based position among the readable tasks of its project. */
export interface TaskView extends Task {
  readonly orderIndex: number
}

export interface WorkspaceView {
  /** Sorted by `(createdAt, id)`. */
  readonly projects: ReadonlyArray<Project>
  /** Grouped by project id, each project's tasks in order (`sortKey`, then `id`). */
  readonly tasks: ReadonlyArray<TaskView>
  /** Sorted by `(taskId, createdAt, id)`. */
  readonly comments: ReadonlyArray<Comment>
  /** Sorted by `(name, id)`. */
  readonly members: ReadonlyArray<Member>
  /** Entities that are in the document but could not be read; they are left out above. */
  readonly issues: ReadonlyArray<ReadIssue>
}

const cmp = (a: string | number, b: string | number): number => (a < b ? -1 : a > b ? 1 : 0)

export type EntityRead<C extends Collection> =
  | { readonly _tag: "Found"; readonly entity: EntityOf[C] }
  | { readonly _tag: "Missing" }
  | { readonly _tag: "Invalid"; readonly issue: ReadIssue }

const readCollection = <C extends Collection>(
  doc: LoroDoc,
  collection: C,
  issues: Array<ReadIssue>,
): Array<EntityOf[C]> => {
  const map = collectionMap(doc, collection)
  const raw = map.toJSON() as Record<string, unknown>
  const out: Array<EntityOf[C]> = []
  // JS drops or misreads this key in `toJSON()`; only another (buggy or hostile) client writes it.
  if (map.get("__proto__") !== undefined) issues.push({ collection, id: "__proto__", message: "reserved id" })
  for (const id of Object.keys(raw)) {
    if (id === "__proto__") continue
    const r = decodeEntity(collection, id, raw[id])
    if (Either.isRight(r)) out.push(r.right)
    else issues.push(r.left)
  }
  return out
}

/**
 * Reads and validates the whole workspace. Never throws on bad remote data: unreadable
 * entities are listed in `issues`. Costs a full materialisation of the document, so the
 * projection and large views should use `readEntities` for what changed instead.
 */
export const readWorkspace = (doc: LoroDoc): WorkspaceView => {
  const issues: Array<ReadIssue> = []
  const projects = readCollection(doc, "projects", issues).sort(
    (a, b) => cmp(a.createdAt, b.createdAt) || cmp(a.id, b.id),
  )
  const tasks = readCollection(doc, "tasks", issues).sort((a, b) => cmp(a.projectId, b.projectId) || compareTasks(a, b))
  const comments = readCollection(doc, "comments", issues).sort(
    (a, b) => cmp(a.taskId, b.taskId) || cmp(a.createdAt, b.createdAt) || cmp(a.id, b.id),
  )
  const members = readCollection(doc, "members", issues).sort((a, b) => cmp(a.name, b.name) || cmp(a.id, b.id))
  const views: Array<TaskView> = []
  let index = 0
  for (let i = 0; i < tasks.length; i++) {
    const t = tasks[i]!
    index = i > 0 && tasks[i - 1]!.projectId === t.projectId ? index + 1 : 0
    views.push({ ...t, orderIndex: index })
  }
  return { projects, tasks: views, comments, members, issues }
}

/** Reads one entity; only its own map is materialised. */
export const readEntity = <C extends Collection>(doc: LoroDoc, collection: C, id: string): EntityRead<C> => {
  const child = collectionMap(doc, collection).get(id)
  if (child === undefined) return { _tag: "Missing" }
  if (!(child instanceof LoroMap)) {
    const what = isContainer(child) ? `a ${child.kind()} container` : typeof child
    return { _tag: "Invalid", issue: { collection, id, message: `expected a map, got ${what}` } }
  }
  const r = decodeEntity(collection, id, child.toJSON())
  return Either.isRight(r) ? { _tag: "Found", entity: r.right } : { _tag: "Invalid", issue: r.left }
}

/** Reads a given set of ids of one collection (what the projection does for changed entities). */
export const readEntities = <C extends Collection>(
  doc: LoroDoc,
  collection: C,
  ids: Iterable<string>,
): Map<string, EntityRead<C>> => {
  const out = new Map<string, EntityRead<C>>()
  for (const id of ids) if (!out.has(id)) out.set(id, readEntity(doc, collection, id))
  return out
}
