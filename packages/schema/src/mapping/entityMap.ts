import { type LoroDoc, LoroMap, type Value } from "loro-crdt"
import type { EntityOf } from "./decode.js"
import { InvalidWrite } from "./InvalidWrite.js"
import { type Collection, collectionMap } from "./layout.js"
import { readEntity } from "./read.js"

/**
 * Creates the entity's child map. Ids are random, so two devices never create the same key
 * concurrently and a plain `setContainer` is safe (no mergeable child needed).
 */
export const createEntityMap = (doc: LoroDoc, collection: Collection, id: string): LoroMap => {
  const parent = collectionMap(doc, collection)
  // A `__proto__` key would vanish from (or corrupt) every `toJSON()` object of the collection.
  if (id === "__proto__") throw new InvalidWrite({ collection, id, message: "reserved id" })
  if (parent.get(id) !== undefined)
    throw new InvalidWrite({ collection, id, message: `${collection}/${id} already exists` })
  return parent.setContainer(id, new LoroMap())
}

/** The entity's child map, or `InvalidWrite` if it does not exist or is not a map. */
export const entityMap = (doc: LoroDoc, collection: Collection, id: string): LoroMap => {
  const child = collectionMap(doc, collection).get(id)
  if (child instanceof LoroMap) return child
  throw new InvalidWrite({
    collection,
    id,
    message: child === undefined ? `${collection}/${id} does not exist` : `${collection}/${id} is not a map`,
  })
}

/** The current valid entity, or `InvalidWrite` (missing, or unreadable remote data). */
export const currentEntity = <C extends Collection>(doc: LoroDoc, collection: C, id: string): EntityOf[C] => {
  const r = readEntity(doc, collection, id)
  if (r._tag === "Found") return r.entity
  throw new InvalidWrite({
    collection,
    id,
    message:
      r._tag === "Missing" ? `${collection}/${id} does not exist` : `cannot edit unreadable entity: ${r.issue.message}`,
  })
}

/** Writes only the keys whose value changed (fewer ops, fewer spurious conflicts); `undefined` deletes. */
export const writeFields = (map: LoroMap, fields: Record<string, Value | undefined>): void => {
  for (const [key, value] of Object.entries(fields)) {
    const old = map.get(key)
    if (value === undefined) {
      if (old !== undefined) map.delete(key)
    } else if (old !== value) map.set(key, value)
  }
}

/** Sets the defined fields of a freshly created map (no reads: creation is the hot path of bulk imports). */
export const setFields = (map: LoroMap, fields: Record<string, Value | undefined>): void => {
  for (const key in fields) {
    const value = fields[key]
    if (value !== undefined) map.set(key, value)
  }
}
