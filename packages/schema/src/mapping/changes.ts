import type { Diff, Frontiers, JsonDiff, LoroDoc, LoroEventBatch } from "loro-crdt"
import { type Collection, isCollection } from "./layout.js"

export interface EntityRef {
  readonly collection: Collection
  readonly id: string
}

/**
 * The entities touched by one change at `path` (a Loro event path or
 * `doc.getPathToContainer(cid)`): a change to a collection's root map names the ids in its
 * `updated` keys (created, replaced or deleted entities); a change anywhere below
 * `[collection, id, ...]` touches that entity. Changes outside the collections (`meta`,
 * unknown roots from newer clients) touch none.
 */
export const entitiesOfChange = (path: ReadonlyArray<unknown> | undefined, diff: Diff | JsonDiff): Array<EntityRef> => {
  if (path === undefined || path.length === 0) return []
  const [collection, id] = path
  if (!isCollection(collection)) return []
  if (path.length === 1) return diff.type === "map" ? Object.keys(diff.updated).map((k) => ({ collection, id: k })) : []
  return typeof id === "string" ? [{ collection, id }] : []
}

/** Deduplicates refs; the result lists each entity once, grouped by collection. */
export class ChangedEntities {
  private readonly byCollection = new Map<Collection, Set<string>>()

  add(refs: Iterable<EntityRef>): void {
    for (const r of refs) {
      let s = this.byCollection.get(r.collection)
      if (s === undefined) this.byCollection.set(r.collection, (s = new Set()))
      s.add(r.id)
    }
  }

  ids(collection: Collection): ReadonlySet<string> {
    return this.byCollection.get(collection) ?? new Set()
  }

  get size(): number {
    let n = 0
    for (const s of this.byCollection.values()) n += s.size
    return n
  }

  toArray(): Array<EntityRef> {
    const out: Array<EntityRef> = []
    for (const [collection, ids] of this.byCollection) for (const id of ids) out.push({ collection, id })
    return out
  }
}

/**
 * Entities that differ between two versions of the document, via `doc.diff`. A container
 * whose path is gone at `to` belongs to an entity that was deleted, which its collection's
 * root-map change already reports.
 */
export const changedEntitiesBetween = (doc: LoroDoc, from: Frontiers, to: Frontiers): ChangedEntities => {
  const out = new ChangedEntities()
  for (const [cid, diff] of doc.diff(from, to, false)) out.add(entitiesOfChange(doc.getPathToContainer(cid), diff))
  return out
}

/** Entities touched by one event batch (subscribe to the doc before `import`). */
export const changedEntitiesOfEvents = (batch: LoroEventBatch, into: ChangedEntities = new ChangedEntities()) => {
  for (const e of batch.events) into.add(entitiesOfChange(e.path, e.diff))
  return into
}
