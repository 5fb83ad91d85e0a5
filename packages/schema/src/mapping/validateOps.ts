import { Data, Either, Schema } from "effect"
import type { ContainerID, JsonChange, JsonOp } from "loro-crdt"
import { Task } from "../Task.js"
import { entityIdProblem, fieldProblem, metaProblem } from "./fieldRules.js"
import type { Collection } from "./layout.js"
import { childPlace, type LayoutPlace, mergeableDescriptionParent, parseContainerId, rootPlace } from "./layoutPlace.js"
import { textOpProblem } from "./textOps.js"

/** Ops that do not fit the workspace layout; `op` is `counter@peer` of the first one found. */
export class LayoutViolation extends Data.TaggedError("LayoutViolation")<{
  readonly reason: string
  readonly op?: string
}> {}

/** What the validator needs to know about the document the changes were imported into. */
export interface OpsContext {
  /** Where a container that existed before these changes sits; undefined when it has no place. */
  readonly placeOf: (id: ContainerID) => LayoutPlace | undefined
  /** The end (exclusive) of `peer`'s op counters in the document, these changes included. */
  readonly versionEnd: (peer: string) => number
  /** Upper bound for text positions and lengths: every character ever inserted took an op counter. */
  readonly maxTextPosition: number
}

/** The layout containers the changes wrote to, for the server's bounded deep read. */
export interface TouchedLayout {
  /** Keys set or deleted in collection maps. */
  readonly collectionKeys: ReadonlyArray<{ readonly collection: Collection; readonly key: string }>
  /** Entity maps written to (or created), by container id; `description`: its description key was set. */
  readonly entities: ReadonlyMap<ContainerID, TouchedEntity>
  /** Description texts written to (or created), by container id → their task's id. */
  readonly descriptions: ReadonlyMap<ContainerID, string>
  readonly meta: boolean
}

export interface TouchedEntity {
  readonly collection: Collection
  readonly id: string
  readonly description: boolean
}

interface Creation {
  readonly parent: ContainerID
  readonly key: string
  readonly kind: string
}

const CONTAINER_PREFIX = "🦜:"
/** Loro's marker for a mergeable child container: magic `\0LM\x01`, kind (2 = Text), 3-byte digest. */
const isMergeableTextMarker = (v: unknown): boolean =>
  Array.isArray(v) &&
  v.length === 8 &&
  v.every((b) => Number.isInteger(b) && b >= 0 && b <= 255) &&
  v[0] === 0 &&
  v[1] === 76 &&
  v[2] === 77 &&
  v[3] === 1 &&
  v[4] === 2

const isDescriptionText = Schema.is(Task.fields.description)

/**
 * Checks decoded Loro changes (`LoroDoc.exportJsonUpdates`) against the workspace layout:
 * every op must write to a container the layout has (root maps `meta` and the collections,
 * entity maps keyed by valid ids, a task's description text), with the op kind, key and
 * value shape that container allows. O(ops): only the containers the changes name are looked
 * up. Refuses unknown container kinds, containers at unknown places, list/tree/counter ops,
 * rich-text marks, bad text positions, values that are not what the entity Schemas allow.
 */
export const validateOps = (
  changes: ReadonlyArray<JsonChange>,
  ctx: OpsContext,
): Either.Either<TouchedLayout, LayoutViolation> => {
  const created = new Map<ContainerID, Creation>()
  const places = new Map<ContainerID, LayoutPlace | undefined>()
  const collectionKeys: Array<{ collection: Collection; key: string }> = []
  const entities = new Map<ContainerID, TouchedEntity>()
  const descriptions = new Map<ContainerID, string>()
  let meta = false

  // Containers made by these changes first: an op may name one created in a later change.
  for (const change of changes) {
    const peer = change.id.slice(change.id.indexOf("@") + 1)
    for (const op of change.ops) {
      const child = createdChild(op, peer)
      if (child !== undefined) created.set(child.id, { parent: op.container, key: child.key, kind: child.kind })
    }
  }

  const placeOf = (id: ContainerID, depth = 0): LayoutPlace | undefined => {
    if (places.has(id)) return places.get(id)
    let place: LayoutPlace | undefined
    const parsed = parseContainerId(id)
    if (parsed === undefined || depth > 3) place = undefined
    else if (parsed._tag === "Root") {
      const parent = mergeableDescriptionParent(parsed.name)
      if (parent === undefined) place = rootPlace(parsed.name, parsed.kind)
      else {
        const entity = placeOf(parent as ContainerID, depth + 1)
        place = entity === undefined ? undefined : childPlace(entity, "description", parsed.kind)
      }
    } else {
      const creation = created.get(id)
      if (creation === undefined) place = ctx.placeOf(id)
      else {
        const parent = placeOf(creation.parent, depth + 1)
        place = parent === undefined ? undefined : childPlace(parent, creation.key, creation.kind)
      }
    }
    places.set(id, place)
    return place
  }

  for (const change of changes) {
    const peer = change.id.slice(change.id.indexOf("@") + 1)
    for (const op of change.ops) {
      const place = placeOf(op.container)
      if (place === undefined) return fail(`write to ${op.container}, which is not part of the layout`, op, peer)
      const problem = opProblem(place, op, peer, created, ctx)
      if (problem !== undefined) return fail(problem, op, peer)
      switch (place._tag) {
        case "Meta":
          meta = true
          break
        case "Collection":
          collectionKeys.push({ collection: place.collection, key: (op.content as { key: string }).key })
          break
        case "Entity": {
          const description = (op.content as { key: string }).key === "description"
          const seen = entities.get(op.container)?.description ?? false
          entities.set(op.container, { collection: place.collection, id: place.id, description: seen || description })
          break
        }
        case "Description":
          descriptions.set(op.container, place.taskId)
      }
    }
  }
  return Either.right({ collectionKeys, entities, descriptions, meta })
}

const fail = (reason: string, op: JsonOp, peer: string) =>
  Either.left(new LayoutViolation({ reason, op: `${op.counter}@${peer}` }))

/**
 * The child container a map insert creates: Loro exports it as the value `🦜:cid:C@P:Kind`
 * where `C@P` is the op's own id. Any other string (a user's title that merely starts with
 * `🦜:`, say) is a plain string. Containers made by list ops have no place in the layout, and
 * the ops on their parent are refused anyway.
 */
const createdChild = (op: JsonOp, peer: string): (Creation & { readonly id: ContainerID }) | undefined => {
  const c = op.content as { type?: unknown; key?: unknown; value?: unknown }
  if (c.type !== "insert" || typeof c.key !== "string") return undefined
  if (typeof c.value !== "string" || !c.value.startsWith(CONTAINER_PREFIX)) return undefined
  const id = c.value.slice(CONTAINER_PREFIX.length) as ContainerID
  const parsed = parseContainerId(id)
  if (parsed?._tag !== "Normal" || parsed.peer !== peer || parsed.counter !== op.counter) return undefined
  return { id, parent: op.container, key: c.key, kind: parsed.kind }
}

const isMapOp = (c: unknown): c is { type: "insert"; key: string; value: unknown } | { type: "delete"; key: string } =>
  typeof c === "object" &&
  c !== null &&
  typeof (c as { key?: unknown }).key === "string" &&
  ((c as { type?: unknown }).type === "delete" || ((c as { type?: unknown }).type === "insert" && "value" in c))

const opProblem = (
  place: LayoutPlace,
  op: JsonOp,
  peer: string,
  created: ReadonlyMap<ContainerID, Creation>,
  ctx: OpsContext,
): string | undefined => {
  const c = op.content
  if (place._tag === "Description") return textOpProblem(c, ctx, isDescriptionText)
  if (!isMapOp(c)) return `${c.type} op on a map (${op.container})`
  if (c.type === "delete") return place._tag === "Entity" ? entityIdProblem(place.collection, place.id) : undefined
  const child = createdChild(op, peer)
  const made = child === undefined ? undefined : created.get(child.id)
  switch (place._tag) {
    case "Meta":
      return made !== undefined ? "meta holds no child containers" : metaProblem(c.key, c.value)
    case "Collection": {
      if (made === undefined || made.kind !== "Map") return `${place.collection}/${c.key} must be a child map`
      const idProblem = entityIdProblem(place.collection, c.key)
      return idProblem === undefined ? undefined : `${place.collection}/${c.key}: ${idProblem}`
    }
    case "Entity": {
      const idProblem = entityIdProblem(place.collection, place.id)
      if (idProblem !== undefined) return `${place.collection}/${place.id}: ${idProblem}`
      const at = `${place.collection}/${place.id}.${c.key}`
      if (place.collection === "tasks" && c.key === "description") {
        const ok = made !== undefined ? made.kind === "Text" : isMergeableTextMarker(c.value)
        return ok ? undefined : `${at} must be a text`
      }
      if (made !== undefined) return `${at} cannot hold a child container`
      const problem = fieldProblem(place.collection, c.key, c.value)
      return problem === undefined ? undefined : `${at}: ${problem}`
    }
  }
}
