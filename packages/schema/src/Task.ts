import { Schema } from "effect"
import { EpochMillis, IsoDate, Name } from "./common.js"
import { MemberId, ProjectId, TaskId } from "./ids.js"

export const TaskStatus = Schema.Literal("todo", "in_progress", "in_review", "done", "canceled")
export type TaskStatus = typeof TaskStatus.Type

export const TaskPriority = Schema.Literal("none", "low", "medium", "high", "urgent")
export type TaskPriority = typeof TaskPriority.Type

export const TASK_TITLE_MAX = 500
export const TASK_DESCRIPTION_MAX = 100_000

/**
 * A fractional-index key (see mapping/sortKey.ts): tasks of a project sort by
 * `(sortKey, id)` in plain code-unit / `collate "C"` order.
 */
export const SortKey = Schema.String.pipe(Schema.pattern(/^[A-Za-z][0-9A-Za-z]*$/), Schema.maxLength(256))
export type SortKey = typeof SortKey.Type

export const Task = Schema.Struct({
  id: TaskId,
  projectId: ProjectId,
  title: Name(TASK_TITLE_MAX),
  /** Plain text of the collaborative description (a LoroText in the document). */
  description: Schema.String.pipe(Schema.maxLength(TASK_DESCRIPTION_MAX)),
  status: TaskStatus,
  priority: TaskPriority,
  assigneeId: Schema.optional(MemberId),
  dueDate: Schema.optional(IsoDate),
  sortKey: SortKey,
  createdAt: EpochMillis,
  updatedAt: EpochMillis,
})
export type Task = typeof Task.Type
