import { type Collection, isCollection, META, TaskKeys } from "./layout.js"

/**
 * Where a container sits in the workspace layout (README.md "Document layout"). Anything
 * that has no place here is not part of the layout, and the server refuses writes to it.
 */
export type LayoutPlace =
  | { readonly _tag: "Meta" }
  | { readonly _tag: "Collection"; readonly collection: Collection }
  | { readonly _tag: "Entity"; readonly collection: Collection; readonly id: string }
  | { readonly _tag: "Description"; readonly taskId: string }

/** A Loro container id taken apart: `cid:root-NAME:Kind` or `cid:COUNTER@PEER:Kind`. */
export type ParsedContainerId =
  | { readonly _tag: "Root"; readonly name: string; readonly kind: string }
  | { readonly _tag: "Normal"; readonly counter: number; readonly peer: string; readonly kind: string }

const NORMAL = /^(0|[1-9][0-9]{0,9})@(0|[1-9][0-9]{0,19})$/

/** Parses a container id as Loro prints it; undefined for anything else. */
export const parseContainerId = (id: string): ParsedContainerId | undefined => {
  if (!id.startsWith("cid:")) return undefined
  const colon = id.lastIndexOf(":")
  if (colon < 4) return undefined
  const body = id.slice(4, colon)
  const kind = id.slice(colon + 1)
  if (body.startsWith("root-")) return { _tag: "Root", name: body.slice(5), kind }
  const m = NORMAL.exec(body)
  if (m === null) return undefined
  const counter = Number(m[1])
  return counter > 0x7fffffff ? undefined : { _tag: "Normal", counter, peer: m[2]!, kind }
}

// Loro names a mergeable child `🤝:@<peer base36>:<counter base36>><key>` (loro-common
// `ContainerID::new_mergeable`); the only one the layout has is a task's description.
const MERGEABLE_DESCRIPTION = new RegExp(`^🤝:@([0-9a-z]{1,13}):([0-9a-z]{1,7})>${TaskKeys.description}$`)

/** The entity map a mergeable description text belongs to (`cid:C@P:Map`), if the name is one. */
export const mergeableDescriptionParent = (rootName: string): string | undefined => {
  const m = MERGEABLE_DESCRIPTION.exec(rootName)
  if (m === null) return undefined
  const peer = parseBase36(m[1]!)
  const counter = parseBase36(m[2]!)
  if (peer === undefined || counter === undefined || counter > 0x7fffffffn) return undefined
  return `cid:${counter}@${peer}:Map`
}

const parseBase36 = (s: string): bigint | undefined => {
  if (s.length > 1 && s.startsWith("0")) return undefined
  let v = 0n
  for (const ch of s) v = v * 36n + BigInt(Number.parseInt(ch, 36))
  return v < 1n << 64n ? v : undefined
}

/** The place of a root container, or undefined when the layout has no such root. */
export const rootPlace = (name: string, kind: string): LayoutPlace | undefined => {
  if (kind !== "Map") return undefined
  if (name === META) return { _tag: "Meta" }
  return isCollection(name) ? { _tag: "Collection", collection: name } : undefined
}

/** The place of a child container created at `key` of a container at `parent`. */
export const childPlace = (parent: LayoutPlace, key: string, kind: string): LayoutPlace | undefined => {
  if (parent._tag === "Collection" && kind === "Map") return { _tag: "Entity", collection: parent.collection, id: key }
  if (parent._tag === "Entity" && parent.collection === "tasks" && key === TaskKeys.description && kind === "Text")
    return { _tag: "Description", taskId: parent.id }
  return undefined
}

/** The place of a container from its path in the document (`LoroDoc.getPathToContainer`). */
export const placeOfPath = (path: ReadonlyArray<unknown>, kind: string): LayoutPlace | undefined => {
  const [root, key, field, ...rest] = path
  if (typeof root !== "string" || rest.length > 0) return undefined
  if (key === undefined) return rootPlace(root, kind)
  const parent = rootPlace(root, "Map")
  if (parent === undefined || typeof key !== "string") return undefined
  if (field === undefined) return childPlace(parent, key, kind)
  const entity = childPlace(parent, key, "Map")
  return entity === undefined || typeof field !== "string" ? undefined : childPlace(entity, field, kind)
}

/** The path a container at `place` has in the document. */
export const pathOfPlace = (place: LayoutPlace): ReadonlyArray<string> => {
  switch (place._tag) {
    case "Meta":
      return [META]
    case "Collection":
      return [place.collection]
    case "Entity":
      return [place.collection, place.id]
    case "Description":
      return ["tasks", place.taskId, TaskKeys.description]
  }
}
