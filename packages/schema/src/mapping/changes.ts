import type { Frontiers, LoroDoc } from "loro-crdt"
import { type Collection, isCollection } from "./layout.js"
import { pathsOf } from "./opsContext.js"

export interface EntityRef {
  readonly collection: Collection
  readonly id: string
}

/**
 * The entities a write at `path` (`doc.getPathToContainer(cid)`) touches: a write to a
 * collection's root map names the ids of the keys it set (`rootKeys`: created, replaced or
 * deleted entities); a write anywhere below `[collection, id, ...]` touches that entity.
 * Writes outside the collections (`meta`, unknown roots from newer clients) touch none.
 */
const entitiesAt = (
  path: ReadonlyArray<unknown> | undefined,
  rootKeys: () => ReadonlyArray<unknown>,
): Array<EntityRef> => {
  if (path === undefined || path.length === 0) return []
  const [collection, id] = path
  if (!isCollection(collection)) return []
  if (path.length === 1) return rootKeys().flatMap((k) => (typeof k === "string" ? [{ collection, id: k }] : []))
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
 * Entities changed between `from` and `to`, a later version (`from` is contained in `to`):
 * every entity an op in between wrote to, from the ops themselves (`exportJsonUpdates`) and
 * each written container's path, looked up once. Cost is what changed, never the document:
 * `doc.diff` materialised the whole difference and took 17 s for 5,000 new tasks on a
 * 100,000-task document, where this takes 0.2–0.5 s. An entity written and then deleted
 * again in between is listed (it reads as missing at both ends). A container with no path
 * belongs to an entity deleted since, which its collection's root-map op reports. Paths are
 * read at the document's current state, so `to` is its current version.
 */
export const changedEntitiesBetween = (doc: LoroDoc, from: Frontiers, to: Frontiers): ChangedEntities => {
  const out = new ChangedEntities()
  const updates = doc.exportJsonUpdates(doc.frontiersToVV(from), doc.frontiersToVV(to), false)
  const pathOf = pathsOf(doc)
  // An op on a collection's root map sets or deletes one key: the entity of that id.
  for (const change of updates.changes)
    for (const op of change.ops)
      out.add(entitiesAt(pathOf(op.container), () => [(op.content as { key?: unknown }).key]))
  return out
}
