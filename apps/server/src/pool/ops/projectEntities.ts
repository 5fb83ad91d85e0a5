import {
  COLLECTIONS,
  type Collection,
  changedEntitiesBetween,
  decodeEntity,
  type EntityRead,
  projectionTables,
  type ReadIssue,
  readEntities,
  readEntity,
  type SqlValue,
} from "@vibestack/schema"
import { Either } from "effect"
import type { LoroDoc } from "loro-crdt"
import type { PoolOp } from "./PoolOp.js"

export interface TableChanges {
  readonly table: Collection
  /**
   * Full rows in `projectionTables[table].columns` order, as JSON text: arrays of at most
   * `UPSERT_CHUNK_ROWS` rows (`upsertChunks`). The server's main thread hands the text to
   * Postgres as it is and never holds a row: 100,000 rows as arrays took 0.8 s of its event loop
   * to receive from the worker (structured clone and GC), and more to send as column arrays.
   */
  readonly upserts: ReadonlyArray<string>
  /** How many rows `upserts` holds. */
  readonly upsertCount: number
  /** Ids whose row must go: the entity was deleted, or is unreadable (listed in `issues`). */
  readonly deletes: ReadonlyArray<string>
}

/** Rows per chunk of `TableChanges.upserts`: one statement's worth. */
export const UPSERT_CHUNK_ROWS = 5000

/**
 * Text as Postgres can hold it: U+0000 (which the schema lets a document hold, so a hostile
 * editor can write it) becomes U+FFFD. A NUL failed the projection's statement, and its retries
 * forever: the workspace's tables and feed stopped.
 */
export const sqlText = (s: string): string => (s.includes("\u0000") ? s.replaceAll("\u0000", "\uFFFD") : s)

/** Rows as `TableChanges.upserts`: JSON arrays of at most `UPSERT_CHUNK_ROWS` rows each, text as `sqlText`. */
export const upsertChunks = (rows: ReadonlyArray<ReadonlyArray<SqlValue>>): Array<string> => {
  const chunks: Array<string> = []
  for (let i = 0; i < rows.length; i += UPSERT_CHUNK_ROWS) {
    const part = rows.slice(i, i + UPSERT_CHUNK_ROWS)
    const text = JSON.stringify(part)
    // JSON writes U+0000 as this escape; text without it needs no second pass.
    chunks.push(
      text.includes("\\u0000")
        ? JSON.stringify(part.map((row) => row.map((v) => (typeof v === "string" ? sqlText(v) : v))))
        : text,
    )
  }
  return chunks
}

/** The rows `upserts` holds, in order (tests and tools; the server never parses them). */
export const upsertRows = (t: Pick<TableChanges, "upserts">): Array<Array<SqlValue>> =>
  t.upserts.flatMap((chunk) => JSON.parse(chunk) as Array<Array<SqlValue>>)

export interface ProjectedChanges {
  /** The seq of the committed state the changes start from (the projection checks it is its own). */
  readonly fromSeq: number
  readonly tables: ReadonlyArray<TableChanges>
  readonly issues: ReadonlyArray<ReadIssue>
  /** Entities touched between the committed state and the latest validated one. */
  readonly entityChanges: number
}

/**
 * The projection's step: the copy holds validated-but-uncommitted updates on top of its
 * committed state; this reports the rows of every entity that changed between the two
 * (rows read at the latest state, v1 `done` applied by the schema's readers). The changed
 * entities come from the ops in between (`changedEntitiesBetween`), so a batch costs what it
 * holds: 5,000 new tasks on a 100,000-task document take well under a second, where a diff,
 * or reading every entity, took seconds. From an empty committed state (a replay from zero)
 * every entity is read, from one `toJSON` per collection.
 */
export const projectEntities: PoolOp<{ readonly ws: string }, ProjectedChanges> = (ctx, args) => {
  // Not `atCommitted(d => d.frontiers())`: checking out and back to latest rebuilds the state,
  // which took 18 s at 30,000 tasks (checkout to the empty version of a replay) and minutes at 100,000.
  const from = ctx.committedFrontiers
  const doc = ctx.doc
  const changed = from.length === 0 ? undefined : changedEntitiesBetween(doc, from, doc.oplogFrontiers())
  const issues: Array<ReadIssue> = []
  let entityChanges = 0
  const tables = COLLECTIONS.map((c) => {
    const reads = changed !== undefined ? readEntities(doc, c, changed.ids(c)) : readAllEntities(doc, c)
    const out = rowsOf(c, reads, args.ws, issues)
    entityChanges += out.upsertCount + out.deletes.length
    return out
  })
  return { fromSeq: ctx.committedSeq, tables, issues, entityChanges }
}

const isMapId = (v: unknown): boolean => typeof v === "string" && v.startsWith("cid:") && v.endsWith(":Map")

/**
 * Every entity of a collection, read exactly like `readEntities` over all its keys, but from
 * the collection's deep JSON. The shallow value tells child maps (a container id) from plain
 * values that merely look like a map in JSON; anything that is not a child map, and the
 * `__proto__` key that JS objects misread, go through `readEntity` so their result and message
 * are the schema's own.
 */
export const readAllEntities = <C extends Collection>(doc: LoroDoc, collection: C): Map<string, EntityRead<C>> => {
  const map = doc.getMap(collection)
  const shallow = map.getShallowValue() as Record<string, unknown>
  const deep = map.toJSON() as Record<string, unknown>
  const out = new Map<string, EntityRead<C>>()
  for (const id of map.keys()) {
    if (id === "__proto__" || !isMapId(shallow[id]) || !Object.hasOwn(deep, id)) {
      out.set(id, readEntity(doc, collection, id))
      continue
    }
    const r = decodeEntity(collection, id, deep[id])
    out.set(id, Either.isRight(r) ? { _tag: "Found", entity: r.right } : { _tag: "Invalid", issue: r.left })
  }
  return out
}

const rowsOf = <C extends Collection>(
  collection: C,
  reads: Map<string, EntityRead<C>>,
  ws: string,
  issues: Array<ReadIssue>,
): TableChanges => {
  const upserts: Array<ReadonlyArray<SqlValue>> = []
  const deletes: Array<string> = []
  const toRow = projectionTables[collection].toRow as (ws: string, e: unknown) => ReadonlyArray<SqlValue>
  for (const [id, read] of reads) {
    if (read._tag === "Found") upserts.push(toRow(ws, read.entity))
    else {
      deletes.push(id)
      if (read._tag === "Invalid") issues.push(read.issue)
    }
  }
  return { table: collection, upserts: upsertChunks(upserts), upsertCount: upserts.length, deletes }
}
