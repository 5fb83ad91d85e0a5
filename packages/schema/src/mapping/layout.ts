import type { LoroDoc, LoroMap } from "loro-crdt"

/**
 * The layout of a workspace's one LoroDoc (README.md "Document layout" is the spec):
 * a root map per collection, keyed by entity id, each entity a child LoroMap; a root
 * `meta` map carries `schemaVersion`.
 */
export const COLLECTIONS = ["projects", "tasks", "comments", "members"] as const
export type Collection = (typeof COLLECTIONS)[number]

export const isCollection = (s: unknown): s is Collection =>
  typeof s === "string" && (COLLECTIONS as ReadonlyArray<string>).includes(s)

export const META = "meta"
export const SCHEMA_VERSION_KEY = "schemaVersion"

/**
 * The document layout version these helpers read and write. v1: tasks carry `done: boolean`;
 * v2: tasks carry `status` and, for v1 clients still around, a `done` kept equal to `status === "done"`.
 * The client migrations (packages/migrations) move a document up to this version.
 */
export const DOC_LAYOUT_VERSION = 2

/** Keys inside each entity map (values are JSON scalars unless stated). */
export const TaskKeys = {
  projectId: "projectId",
  title: "title",
  /** Child LoroText. */
  description: "description",
  status: "status",
  /** Legacy v1 flag, still written by v2 writers: `done === (status === "done")`. */
  done: "done",
  priority: "priority",
  /** Absent or null: unassigned. */
  assigneeId: "assigneeId",
  /** Absent or null: no due date. */
  dueDate: "dueDate",
  sortKey: "sortKey",
  createdAt: "createdAt",
  updatedAt: "updatedAt",
} as const

export const collectionMap = (doc: LoroDoc, collection: Collection): LoroMap => doc.getMap(collection)
export const metaMap = (doc: LoroDoc): LoroMap => doc.getMap(META)

/** The document's `meta.schemaVersion`; a document without one is v1 (the first layout). */
export const readSchemaVersion = (doc: LoroDoc): number => {
  const v = metaMap(doc).get(SCHEMA_VERSION_KEY)
  return typeof v === "number" && Number.isInteger(v) && v >= 1 ? v : 1
}
