import {
  COLLECTIONS,
  type Collection,
  changedEntitiesBetween,
  collectionMap,
  projectionTables,
  type ReadIssue,
  readEntities,
  type SqlValue,
} from "@vibestack/schema"
import type { LoroDoc } from "loro-crdt"
import type { PoolOp } from "./PoolOp.js"

export interface TableChanges {
  readonly table: Collection
  /** Full rows in `projectionTables[table].columns` order. */
  readonly upserts: ReadonlyArray<ReadonlyArray<SqlValue>>
  /** Ids whose row must go: the entity was deleted, or is unreadable (listed in `issues`). */
  readonly deletes: ReadonlyArray<string>
}

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
 * (rows read at the latest state, v1 `done` applied by the schema's readers). From an empty
 * committed state (a replay from zero) every entity is read directly: cheaper than a diff.
 */
export const projectEntities: PoolOp<{ readonly ws: string }, ProjectedChanges> = (ctx, args) => {
  const from = ctx.atCommitted((d) => d.frontiers())
  const doc = ctx.doc
  const ids = new Map<Collection, Iterable<string>>()
  if (from.length === 0) for (const c of COLLECTIONS) ids.set(c, collectionMap(doc, c).keys())
  else {
    const changed = changedEntitiesBetween(doc, from, doc.oplogFrontiers())
    for (const c of COLLECTIONS) ids.set(c, changed.ids(c))
  }
  const issues: Array<ReadIssue> = []
  let entityChanges = 0
  const tables = COLLECTIONS.map((c) => {
    const out = rowsOf(doc, c, ids.get(c) ?? [], args.ws, issues)
    entityChanges += out.upserts.length + out.deletes.length
    return out
  })
  return { fromSeq: ctx.committedSeq, tables, issues, entityChanges }
}

const rowsOf = (
  doc: LoroDoc,
  collection: Collection,
  ids: Iterable<string>,
  ws: string,
  issues: Array<ReadIssue>,
): TableChanges => {
  const upserts: Array<ReadonlyArray<SqlValue>> = []
  const deletes: Array<string> = []
  const toRow = projectionTables[collection].toRow as (ws: string, e: unknown) => ReadonlyArray<SqlValue>
  for (const [id, read] of readEntities(doc, collection, ids)) {
    if (read._tag === "Found") upserts.push(toRow(ws, read.entity))
    else {
      deletes.push(id)
      if (read._tag === "Invalid") issues.push(read.issue)
    }
  }
  return { table: collection, upserts, deletes }
}
