import { META, type PathOf, pathOfPlace, pathsOf, type TouchedLayout } from "@vibestack/schema"
import { type ContainerID, type LoroDoc, LoroMap, LoroText } from "loro-crdt"

/**
 * Reads in full every container the batch wrote to or created, and no other: the touched
 * keys of collection maps, the entity maps (deep, so their description texts too), the
 * description texts, `meta`. Each one must be the container kind the layout says, and, when
 * attached, sit at the path its place says (a deleted entity still written to by a
 * concurrent edit is detached: it has no path, and is read by id). Throws with the reason.
 * Cost: the size of what was touched, never the document's.
 */
export const readTouched = (doc: LoroDoc, touched: TouchedLayout, pathOf: PathOf = pathsOf(doc)): void => {
  const keysRead = new Set<string>()
  for (const { collection, key } of touched.collectionKeys) {
    if (keysRead.has(`${collection}/${key}`)) continue
    keysRead.add(`${collection}/${key}`)
    const value = doc.getMap(collection).get(key)
    if (value === undefined) continue
    if (!(value instanceof LoroMap)) throw new Error(`${collection}/${key} does not read as a map`)
    // An entity the batch also wrote to is read below, at this same path.
    const entity = touched.entities.get(value.id)
    if (entity?.collection === collection && entity.id === key) continue
    expectPath(pathOf, value.id, [collection, key])
    value.toJSON()
  }
  for (const [id, entity] of touched.entities) {
    const map = doc.getContainerById(id)
    if (!(map instanceof LoroMap)) throw new Error(`${entity.collection}/${entity.id} does not read as a map`)
    expectPath(pathOf, id, pathOfPlace({ _tag: "Entity", ...entity }))
    map.toJSON()
    // A description value Loro does not read as a text (a forged mergeable marker) is not one.
    const description = entity.description ? map.get("description") : undefined
    if (description !== undefined && !(description instanceof LoroText))
      throw new Error(`tasks/${entity.id}.description does not read as a text`)
  }
  for (const [id, taskId] of touched.descriptions) {
    const text = doc.getContainerById(id)
    if (!(text instanceof LoroText)) throw new Error(`tasks/${taskId}.description does not read as a text`)
    expectPath(pathOf, id, pathOfPlace({ _tag: "Description", taskId }))
    text.toString()
  }
  if (touched.meta) doc.getMap(META).toJSON()
}

const expectPath = (pathOf: PathOf, id: ContainerID, expected: ReadonlyArray<string>) => {
  const path = pathOf(id)
  if (path === undefined) return
  if (path.length !== expected.length || path.some((p, i) => p !== expected[i]))
    throw new Error(`${id} sits at ${JSON.stringify(path)}, not at ${JSON.stringify(expected)}`)
}
