import { Either, ParseResult, Schema } from "effect"
import { Comment } from "../Comment.js"
import { EpochMillis, IsoDate, Name } from "../common.js"
import { MemberId, ProjectId, TaskId } from "../ids.js"
import { Member } from "../Member.js"
import { Project } from "../Project.js"
import { SortKey, TASK_DESCRIPTION_MAX, TASK_TITLE_MAX, type Task, TaskPriority, TaskStatus } from "../Task.js"
import type { Collection } from "./layout.js"

/** A stored entity that could not be read; readers skip it and list it here instead of throwing. */
export interface ReadIssue {
  readonly collection: Collection
  readonly id: string
  readonly message: string
}

/**
 * A task as it sits in its LoroMap (after `toJSON`): `status` may be missing (written by a v1
 * client) and `done` may disagree with it (a v1 client changed it later); see `effectiveStatus`.
 */
export const StoredTask = Schema.Struct({
  projectId: ProjectId,
  title: Name(TASK_TITLE_MAX),
  description: Schema.optional(Schema.String.pipe(Schema.maxLength(TASK_DESCRIPTION_MAX))),
  status: Schema.optional(TaskStatus),
  done: Schema.optional(Schema.Boolean),
  priority: TaskPriority,
  assigneeId: Schema.optional(Schema.NullOr(MemberId)),
  dueDate: Schema.optional(Schema.NullOr(IsoDate)),
  sortKey: SortKey,
  createdAt: EpochMillis,
  updatedAt: EpochMillis,
})
export type StoredTask = typeof StoredTask.Type

/**
 * The done/status rule. v2 writers keep `done === (status === "done")`. If the two disagree,
 * the only writer that touches `done` alone is a v1 client, so its later edit wins:
 * done=true means "done"; done=false on a "done" task means it was reopened ("todo").
 */
export const effectiveStatus = (status: TaskStatus | undefined, done: boolean | undefined): TaskStatus | undefined => {
  if (done === undefined) return status
  if (status === undefined) return done ? "done" : "todo"
  if (done === (status === "done")) return status
  return done ? "done" : "todo"
}

const fail = (collection: Collection, id: string, message: string) =>
  Either.left<ReadIssue>({ collection, id, message })

const format = (e: ParseResult.ParseError) => ParseResult.TreeFormatter.formatErrorSync(e)

const decodeProject = Schema.decodeUnknownEither(Project)
const decodeMember = Schema.decodeUnknownEither(Member)
const decodeComment = Schema.decodeUnknownEither(Comment)
const decodeStoredTask = Schema.decodeUnknownEither(StoredTask)
const decodeTaskId = Schema.decodeUnknownEither(TaskId)

/** The entity type of each collection. */
export interface EntityOf {
  readonly projects: Project
  readonly tasks: Task
  readonly comments: Comment
  readonly members: Member
}

const isRecord = (raw: unknown): raw is Record<string, unknown> =>
  typeof raw === "object" && raw !== null && !Array.isArray(raw)

/** Decodes the JSON of one entity map (the key is its id). Never throws. */
export const decodeEntity = <C extends Collection>(
  collection: C,
  id: string,
  raw: unknown,
): Either.Either<EntityOf[C], ReadIssue> => decodeAny(collection, id, raw) as Either.Either<EntityOf[C], ReadIssue>

const decodeAny = (collection: Collection, id: string, raw: unknown): Either.Either<unknown, ReadIssue> => {
  if (!isRecord(raw)) return fail(collection, id, `expected a map, got ${raw === null ? "null" : typeof raw}`)
  const withId = { ...raw, id }
  const mapErr = <A>(r: Either.Either<A, ParseResult.ParseError>) =>
    Either.mapLeft(r, (e): ReadIssue => ({ collection, id, message: format(e) }))
  switch (collection) {
    case "projects":
      return mapErr(decodeProject(withId))
    case "members":
      return mapErr(decodeMember(withId))
    case "comments":
      return mapErr(decodeComment(withId))
    case "tasks":
      return Either.flatMap(mapErr(decodeStoredTask(raw)), (t) => decodeTaskFromStored(id, t))
  }
}

const decodeTaskFromStored = (id: string, t: StoredTask): Either.Either<Task, ReadIssue> => {
  const status = effectiveStatus(t.status, t.done)
  if (status === undefined) return fail("tasks", id, "task has neither status nor done")
  if (Either.isLeft(decodeTaskId(id))) return fail("tasks", id, "invalid task id")
  const task: Task = {
    id: id as Task["id"],
    projectId: t.projectId,
    title: t.title,
    description: t.description ?? "",
    status,
    priority: t.priority,
    ...(t.assigneeId != null ? { assigneeId: t.assigneeId } : {}),
    ...(t.dueDate != null ? { dueDate: t.dueDate } : {}),
    sortKey: t.sortKey,
    createdAt: t.createdAt,
    updatedAt: t.updatedAt,
  }
  return Either.right(task)
}
