import type { ContainerID, LoroDoc, PeerID } from "loro-crdt"
import { TaskKeys } from "./layout.js"
import {
  childPlace,
  type LayoutPlace,
  mergeableDescriptionParent,
  parseContainerId,
  placeOfPath,
} from "./layoutPlace.js"
import type { OpsContext } from "./validateOps.js"

/** A container's path in the document (`getPathToContainer`), undefined when detached. */
export type PathOf = (id: ContainerID) => ReadonlyArray<unknown> | undefined

/**
 * `getPathToContainer`, remembered: a batch's checks, and the search for the entities it
 * changed, look up the same containers' paths again. Valid while the document does not change.
 */
export const pathsOf = (doc: LoroDoc): PathOf => {
  const paths = new Map<ContainerID, ReadonlyArray<unknown> | undefined>()
  return (id) => {
    if (!paths.has(id)) paths.set(id, doc.getPathToContainer(id))
    return paths.get(id)
  }
}

/**
 * The `OpsContext` of a document that has just imported the changes to check. A container's
 * place comes from its path (`getPathToContainer`, O(depth)); a container no longer attached
 * (an entity deleted by a concurrent edit, still written to) is placed through the op that
 * created it, which is what its id names. `pathOf` looks a path up (default: the document's
 * own `getPathToContainer`); a caller that reads the same paths again passes a memo.
 */
export const opsContextOf = (doc: LoroDoc, pathOf: PathOf = (id) => doc.getPathToContainer(id)): OpsContext => {
  const end = doc.oplogVersion().toJSON()
  let total = 0
  for (const counter of end.values()) total += counter
  const placeOf = (id: ContainerID, depth = 0): LayoutPlace | undefined => {
    const parsed = parseContainerId(id)
    if (parsed === undefined || depth > 3) return undefined
    const path = pathOf(id)
    if (path !== undefined) return placeOfPath(path, parsed.kind)
    if (parsed._tag === "Root") {
      const parent = mergeableDescriptionParent(parsed.name)
      const entity = parent === undefined ? undefined : placeOf(parent as ContainerID, depth + 1)
      return entity === undefined ? undefined : childPlace(entity, TaskKeys.description, parsed.kind)
    }
    if (parsed.counter >= (end.get(parsed.peer as PeerID) ?? 0)) return undefined
    const [change] = doc.exportJsonInIdSpan({ peer: parsed.peer as PeerID, counter: parsed.counter, length: 1 })
    const op = change?.ops.find((o) => o.counter === parsed.counter)
    const c = op?.content as { type?: unknown; key?: unknown; value?: unknown } | undefined
    if (op === undefined || c?.type !== "insert" || typeof c.key !== "string" || c.value !== `🦜:${id}`)
      return undefined
    const parent = placeOf(op.container, depth + 1)
    return parent === undefined ? undefined : childPlace(parent, c.key, parsed.kind)
  }
  return {
    placeOf: (id) => placeOf(id),
    versionEnd: (peer) => end.get(peer as PeerID) ?? 0,
    maxTextPosition: total,
  }
}
