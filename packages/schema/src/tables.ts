import type { Comment } from "./Comment.js"
import type { Member } from "./Member.js"
import type { EntityOf } from "./mapping/decode.js"
import type { Collection } from "./mapping/layout.js"
import type { Project } from "./Project.js"
import type { Task } from "./Task.js"

/**
 * The projected SQL tables, as data: the projection job builds its upserts from these, and a
 * test checks they match `packages/migrations/src/sql/0002_projection_tables.ts` column for column.
 * Every table is keyed by `(workspace_id, id)`; there are no foreign keys because rows of one
 * document change arrive in any order and orphans (e.g. comments of a concurrently deleted task)
 * are kept, as in the document.
 */
export interface ColumnDef {
  readonly name: string
  /** The SQL type as written in the migration (lower case). */
  readonly type: string
  readonly nullable: boolean
}

export type SqlValue = string | number | boolean | null

export interface TableDef<E> {
  readonly name: string
  readonly collection: Collection
  readonly columns: ReadonlyArray<ColumnDef>
  readonly primaryKey: ReadonlyArray<string>
  readonly indexes: ReadonlyArray<{ readonly name: string; readonly columns: ReadonlyArray<string> }>
  /** Column values in `columns` order; timestamps as ISO strings, dates as `YYYY-MM-DD`. */
  readonly toRow: (workspaceId: string, entity: E) => ReadonlyArray<SqlValue>
}

const col = (name: string, type: string, nullable = false): ColumnDef => ({ name, type, nullable })
const iso = (ms: number): string => new Date(ms).toISOString()
const KEY = [col("workspace_id", "text"), col("id", "text")]
const PK = ["workspace_id", "id"]

export const projectsTable: TableDef<Project> = {
  name: "projects",
  collection: "projects",
  columns: [
    ...KEY,
    col("name", "text"),
    col("color", "text"),
    col("archived", "boolean"),
    col("created_at", "timestamptz"),
  ],
  primaryKey: PK,
  indexes: [],
  toRow: (ws, p) => [ws, p.id, p.name, p.color, p.archived, iso(p.createdAt)],
}

export const tasksTable: TableDef<Task> = {
  name: "tasks",
  collection: "tasks",
  columns: [
    ...KEY,
    col("project_id", "text"),
    col("title", "text"),
    col("description", "text"),
    col("status", "text"),
    col("priority", "text"),
    col("assignee_id", "text", true),
    col("due_date", "date", true),
    // "C" collation: the keys compare byte-wise, exactly like the JS `<` the clients sort with.
    col("sort_key", 'text collate "C"'),
    col("created_at", "timestamptz"),
    col("updated_at", "timestamptz"),
  ],
  primaryKey: PK,
  indexes: [
    { name: "tasks_project_order_idx", columns: ["workspace_id", "project_id", "sort_key", "id"] },
    { name: "tasks_assignee_idx", columns: ["workspace_id", "assignee_id"] },
    { name: "tasks_status_idx", columns: ["workspace_id", "status"] },
  ],
  toRow: (ws, t) => [
    ws,
    t.id,
    t.projectId,
    t.title,
    t.description,
    t.status,
    t.priority,
    t.assigneeId ?? null,
    t.dueDate ?? null,
    t.sortKey,
    iso(t.createdAt),
    iso(t.updatedAt),
  ],
}

export const commentsTable: TableDef<Comment> = {
  name: "comments",
  collection: "comments",
  columns: [
    ...KEY,
    col("task_id", "text"),
    col("author_id", "text"),
    col("body", "text"),
    col("created_at", "timestamptz"),
  ],
  primaryKey: PK,
  indexes: [{ name: "comments_task_idx", columns: ["workspace_id", "task_id", "created_at"] }],
  toRow: (ws, c) => [ws, c.id, c.taskId, c.authorId, c.body, iso(c.createdAt)],
}

export const membersTable: TableDef<Member> = {
  name: "members",
  collection: "members",
  columns: [...KEY, col("name", "text"), col("color", "text")],
  primaryKey: PK,
  indexes: [],
  toRow: (ws, m) => [ws, m.id, m.name, m.color],
}

/** Every projected table, one per collection. */
export const projectionTables = {
  projects: projectsTable,
  tasks: tasksTable,
  comments: commentsTable,
  members: membersTable,
} as const satisfies { readonly [C in Collection]: TableDef<EntityOf[C]> }
