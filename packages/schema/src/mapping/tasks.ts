import { type LoroDoc, LoroText } from "loro-crdt"
import { newId, type TaskId } from "../ids.js"
import { TASK_DESCRIPTION_MAX, Task, type TaskPriority, type TaskStatus } from "../Task.js"
import { deleteComment } from "./comments.js"
import { createEntityMap, currentEntity, entityMap, setFields, writeFields } from "./entityMap.js"
import { InvalidWrite, validateWrite } from "./InvalidWrite.js"
import { collectionMap, TaskKeys } from "./layout.js"
import { keyBetween, SortKeyError } from "./sortKey.js"
import { textEdit } from "./textEdit.js"
import { nowOf, type WriteOptions } from "./WriteOptions.js"

/**
 * Where a task goes in its project: between two neighbours the caller sees (null = that end).
 * Omitted: at the end, found by scanning the project's tasks.
 */
export interface TaskPosition {
  readonly after: string | null
  readonly before: string | null
}

export interface NewTask {
  readonly id?: string
  readonly projectId: string
  readonly title: string
  readonly description?: string
  readonly status?: TaskStatus
  readonly priority?: TaskPriority
  readonly assigneeId?: string
  readonly dueDate?: string
  readonly position?: TaskPosition
}

/** `null` clears an optional field. Moving between projects is `moveTask`. */
export interface TaskPatch {
  readonly title?: string
  readonly status?: TaskStatus
  readonly priority?: TaskPriority
  readonly assigneeId?: string | null
  readonly dueDate?: string | null
}

const fail = (id: string, message: string): never => {
  throw new InvalidWrite({ collection: "tasks", id, message })
}

type RawTask = { projectId?: unknown; sortKey?: unknown }

const projectKeys = (doc: LoroDoc, projectId: string, exclude: string): Array<string> => {
  const keys: Array<string> = []
  for (const [id, t] of Object.entries(collectionMap(doc, "tasks").toJSON() as Record<string, RawTask | null>)) {
    if (id !== exclude && t?.projectId === projectId && typeof t.sortKey === "string") keys.push(t.sortKey)
  }
  return keys
}

const sortKeyAt = (
  doc: LoroDoc,
  id: string,
  projectId: string,
  pos: TaskPosition | undefined,
  random?: () => number,
) => {
  if (collectionMap(doc, "projects").get(projectId) === undefined) fail(id, `project ${projectId} does not exist`)
  const keyOf = (neighbour: string): string => {
    if (neighbour === id) fail(id, "a task cannot be its own neighbour")
    const m = entityMap(doc, "tasks", neighbour)
    const k = m.get(TaskKeys.sortKey)
    if (m.get(TaskKeys.projectId) !== projectId) fail(id, `neighbour ${neighbour} is not in project ${projectId}`)
    return typeof k === "string" ? k : fail(id, `neighbour ${neighbour} has no sort key`)
  }
  let a: string | null
  let b: string | null
  if (pos === undefined) {
    a = projectKeys(doc, projectId, id).reduce<string | null>((m, k) => (m === null || k > m ? k : m), null)
    b = null
  } else {
    a = pos.after === null ? null : keyOf(pos.after)
    b = pos.before === null ? null : keyOf(pos.before)
  }
  // Neighbours that tie (concurrent inserts) or are out of order: go just past `a`.
  if (a !== null && b !== null && a >= b) {
    const lo = a
    b = projectKeys(doc, projectId, id).reduce<string | null>((m, k) => (k > lo && (m === null || k < m) ? k : m), null)
  }
  try {
    return keyBetween(a, b, random)
  } catch (e) {
    if (e instanceof SortKeyError) return fail(id, `cannot place task: ${e.message}`)
    throw e
  }
}

/** Helpers never commit: the caller commits once per user action. */
export const createTask = (doc: LoroDoc, input: NewTask, options?: WriteOptions): Task => {
  const id = input.id ?? newId<TaskId>()
  const now = nowOf(options)
  const draft = {
    id,
    projectId: input.projectId,
    title: input.title,
    description: input.description ?? "",
    status: input.status ?? "todo",
    priority: input.priority ?? "none",
    ...(input.assigneeId !== undefined ? { assigneeId: input.assigneeId } : {}),
    ...(input.dueDate !== undefined ? { dueDate: input.dueDate } : {}),
    sortKey: "a0",
    createdAt: now,
    updatedAt: now,
  }
  validateWrite(Task, "tasks", id, draft)
  const task = validateWrite(Task, "tasks", id, {
    ...draft,
    sortKey: sortKeyAt(doc, id, draft.projectId, input.position, options?.random),
  })
  const map = createEntityMap(doc, "tasks", id)
  setFields(map, {
    projectId: task.projectId,
    title: task.title,
    status: task.status,
    done: task.status === "done",
    priority: task.priority,
    assigneeId: task.assigneeId,
    dueDate: task.dueDate,
    sortKey: task.sortKey,
    createdAt: task.createdAt,
    updatedAt: task.updatedAt,
  })
  // Created only when there is text (most tasks start without): a child container per task
  // made bulk creation several times slower. Mergeable, so devices adding it later concurrently share one.
  if (task.description !== "") map.ensureMergeableText(TaskKeys.description).insert(0, task.description)
  return task
}

export const updateTask = (doc: LoroDoc, id: string, patch: TaskPatch, options?: WriteOptions): Task => {
  const current = currentEntity(doc, "tasks", id)
  const { assigneeId, dueDate, ...rest } = { ...current, ...patch }
  const next = validateWrite(Task, "tasks", id, {
    ...rest,
    ...(assigneeId != null ? { assigneeId } : {}),
    ...(dueDate != null ? { dueDate } : {}),
    updatedAt: nowOf(options),
  })
  writeFields(entityMap(doc, "tasks", id), {
    title: next.title,
    // v2 writers keep the v1 `done` flag in step so v1 clients and the done/status rule agree.
    status: next.status,
    done: next.status === "done",
    priority: next.priority,
    assigneeId: next.assigneeId,
    dueDate: next.dueDate,
    updatedAt: next.updatedAt,
  })
  return next
}

/**
 * Moves a task within its project or to another one. Concurrent moves of the same task:
 * last writer wins (one position, never a duplicate); of different tasks into one gap: both
 * land in it, ordered by their random key tails.
 */
export const moveTask = (
  doc: LoroDoc,
  id: string,
  target: TaskPosition & { readonly projectId?: string },
  options?: WriteOptions,
): Task => {
  const current = currentEntity(doc, "tasks", id)
  const projectId = target.projectId ?? current.projectId
  const sortKey = sortKeyAt(doc, id, projectId, target, options?.random)
  const next = validateWrite(Task, "tasks", id, { ...current, projectId, sortKey, updatedAt: nowOf(options) })
  writeFields(entityMap(doc, "tasks", id), { projectId, sortKey, updatedAt: next.updatedAt })
  return next
}

/**
 * Deletes the task and its comments. A caller that keeps an index of comments per task passes
 * the task's (`known.comments`); otherwise every comment is read to find them (tens of ms at
 * 10,000 comments). A concurrent edit of a deleted task is lost: delete wins.
 */
export const deleteTask = (doc: LoroDoc, id: string, known?: { readonly comments: ReadonlyArray<string> }): void => {
  entityMap(doc, "tasks", id)
  if (known !== undefined) {
    // Only comments that are there and on this task: a stale index deletes nothing it should not.
    for (const commentId of known.comments)
      if (
        collectionMap(doc, "comments").get(commentId) !== undefined &&
        entityMap(doc, "comments", commentId).get("taskId") === id
      )
        deleteComment(doc, commentId)
  } else {
    const comments = collectionMap(doc, "comments").toJSON() as Record<string, { taskId?: unknown } | null>
    for (const [commentId, c] of Object.entries(comments)) if (c?.taskId === id) deleteComment(doc, commentId)
  }
  collectionMap(doc, "tasks").delete(id)
}

/**
 * The task's collaborative description, for editors bound to it. Created on first use as a
 * mergeable LoroText: two devices creating it concurrently get the same container.
 */
export const taskDescription = (doc: LoroDoc, id: string): LoroText => {
  const map = entityMap(doc, "tasks", id)
  const text = map.get(TaskKeys.description)
  if (text instanceof LoroText) return text
  if (text !== undefined) fail(id, "description is not a text")
  return map.ensureMergeableText(TaskKeys.description)
}

/**
 * Replaces the description with `value` as one contiguous edit (common prefix and suffix kept,
 * see textEdit.ts): concurrent edits elsewhere in the text survive, and a large paste is linear.
 */
export const setTaskDescription = (doc: LoroDoc, id: string, value: string, options?: WriteOptions): void => {
  if (value.length > TASK_DESCRIPTION_MAX) fail(id, `description longer than ${TASK_DESCRIPTION_MAX} characters`)
  currentEntity(doc, "tasks", id)
  const text = taskDescription(doc, id)
  const edit = textEdit(text.toString(), value)
  if (edit.remove > 0 || edit.insert !== "") text.splice(edit.index, edit.remove, edit.insert)
  entityMap(doc, "tasks", id).set(TaskKeys.updatedAt, nowOf(options))
}
