import type { LogChange } from "./ChangeTail.js"
import type { CompiledShape } from "./compileShape.js"
import { changeMessages } from "./messages.js"
import type { Row } from "./where/wherePredicate.js"

/** Parsed forms of a change, computed once however many shapes read it from the tail. */
interface Parsed {
  readonly row: Record<string, string | null>
  /** The row before the change (updates: new row overlaid with the old values), or null if unknown. */
  readonly before: Record<string, string | null> | null
  /** Columns an update changed; null if unknown. */
  readonly changed: ReadonlyArray<string> | null
}

const parsedCache = new WeakMap<LogChange, Parsed>()

const parse = (c: LogChange): Parsed => {
  const hit = parsedCache.get(c)
  if (hit) return hit
  const row = JSON.parse(c.value) as Record<string, string | null>
  const old = c.old === null ? null : (JSON.parse(c.old) as Record<string, string | null>)
  const p: Parsed =
    c.op === "u"
      ? { row, before: old && { ...row, ...old }, changed: old && Object.keys(old) }
      : { row, before: old, changed: null }
  parsedCache.set(c, p)
  return p
}

const pick = (row: Row, names: ReadonlyArray<string>): string => {
  const out: Record<string, string | null> = {}
  for (const n of names) out[n] = row[n] ?? null
  return JSON.stringify(out)
}

/**
 * One shape's view of logged changes (Electric's semantics): with a `where`, an update
 * into the shape is an insert, one out of it a delete, one outside it nothing; a delete
 * of a row the shape never held is nothing. Updates carry the key and the changed
 * selected columns (replica=default); an update changing none of them is dropped.
 * Changes logged before old rows were kept (`old` null) are served conservatively: a
 * delete, or an update carrying the whole row, which the client merges. Stops after the
 * change that takes the messages past `maxBytes`; `consumed` says how many were looked at.
 */
export const shapeMessages = (
  shape: CompiledShape,
  ws: string,
  changes: ReadonlyArray<LogChange>,
  maxBytes = Number.POSITIVE_INFINITY,
): { readonly messages: Array<string>; readonly consumed: number } => {
  const out: Array<string> = []
  let bytes = 0
  let consumed = 0
  const names = shape.columns.map((c) => c.name)
  const selected = new Set(names)
  const pred = shape.predicate
  const message = changeMessages(shape.table, ws)
  let c: LogChange
  const emit = (op: string, value: string) => {
    const m = message(op, c.lsn, c.pos, c.rowId, value)
    out.push(m)
    bytes += m.length
  }
  for (c of changes) {
    if (bytes >= maxBytes) break
    consumed++
    if (c.op === "d") {
      if (pred && c.old !== null && !pred(parse(c).before!)) continue
      emit("d", c.value)
      continue
    }
    if (c.op === "i") {
      if (!pred && shape.allColumns) emit("i", c.value)
      else {
        const { row } = parse(c)
        if (!pred || pred(row)) emit("i", shape.allColumns ? c.value : pick(row, names))
      }
      continue
    }
    if (c.op !== "u") continue
    const p = parse(c)
    const isIn = !pred || pred(p.row)
    const wasIn = !pred ? true : p.before === null ? undefined : pred(p.before)
    if (!isIn) {
      if (wasIn !== false) emit("d", JSON.stringify({ workspace_id: ws, id: c.rowId }))
      continue
    }
    if (wasIn === false) {
      emit("i", shape.allColumns ? c.value : pick(p.row, names))
      continue
    }
    if (p.changed === null) {
      emit("u", shape.allColumns ? c.value : pick(p.row, names))
      continue
    }
    const changed = p.changed.filter((n) => selected.has(n))
    if (changed.length > 0) emit("u", pick(p.row, ["workspace_id", "id", ...changed]))
  }
  return { messages: out, consumed }
}
