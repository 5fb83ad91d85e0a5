import type { JsonChange } from "loro-crdt"

/** Longest commit message a change may carry. */
export const CHANGE_MESSAGE_MAX = 1_000

/** What the metadata check needs from the document the changes were imported into. */
export interface ChangeHistory {
  /** Version before the changes: peer → next counter. */
  readonly from: ReadonlyMap<string, number>
  /** Version after them. */
  readonly to: ReadonlyMap<string, number>
  /** Everything the document holds (deps may name any of it); default `to`. */
  readonly known?: ReadonlyMap<string, number>
  /** The Lamport timestamp of op `counter@peer`, which must exist in the document. */
  readonly lamportOf: (peer: string, counter: number) => number | undefined
}

const OP_ID = /^(0|[1-9][0-9]{0,9})@(0|[1-9][0-9]{0,19})$/

const parseId = (s: unknown): { counter: number; peer: string } | undefined => {
  const m = typeof s === "string" ? OP_ID.exec(s) : null
  return m === null ? undefined : { counter: Number(m[1]), peer: m[2]! }
}

/** How many op counters a map or text op takes (the only ops the layout allows). */
const opLength = (content: unknown): number | undefined => {
  const c = content as { type?: unknown; key?: unknown; text?: unknown; len?: unknown }
  if (typeof c.key === "string") return 1
  if (c.type === "insert" && typeof c.text === "string") return [...c.text].length
  if (c.type === "delete" && Number.isSafeInteger(c.len)) return Math.abs(c.len as number)
  return undefined
}

/**
 * Why the changes' ids, op counters, deps and Lamport timestamps do not add up, or undefined.
 * Crafted updates with shifted ids, deps or Lamports import cleanly and then make Loro panic
 * on export. Honest changes (Loro 1.17) satisfy all of these:
 * - each peer's changes tile its new counter range `[from, to)` without gaps or overlaps,
 *   and each op sits at the counter after the previous op's last;
 * - every dep names an op that exists and, for the change's own peer, precedes it;
 * - the Lamport is one more than the largest Lamport among its deps (0 without deps), and
 *   above that of the peer's previous op;
 * - timestamps are non-negative integers, messages short.
 * O(changes + ops), one Lamport lookup per dep.
 */
export const changeMetadataProblem = (changes: ReadonlyArray<JsonChange>, h: ChangeHistory): string | undefined => {
  const next = new Map(h.from)
  const sorted = [...changes].sort((a, b) => {
    const x = parseId(a.id)
    const y = parseId(b.id)
    return x === undefined || y === undefined ? 0 : x.peer < y.peer ? -1 : x.peer > y.peer ? 1 : x.counter - y.counter
  })
  for (const change of sorted) {
    const id = parseId(change.id)
    if (id === undefined) return `change id ${String(change.id)} is malformed`
    const at = `change ${change.id}`
    if (id.counter !== (next.get(id.peer) ?? 0)) return `${at} does not follow its peer's previous change`
    let counter = id.counter
    for (const op of change.ops) {
      const len = opLength(op.content)
      if (op.counter !== counter || len === undefined || len < 1) return `${at}: op ${op.counter} is out of sequence`
      counter += len
    }
    if (counter === id.counter) return `${at} has no ops`
    next.set(id.peer, counter)
    if (!Number.isSafeInteger(change.timestamp) || change.timestamp < 0) return `${at} has a bad timestamp`
    if (change.msg !== null && (typeof change.msg !== "string" || change.msg.length > CHANGE_MESSAGE_MAX))
      return `${at} has a bad message`
    let lamport = 0
    for (const dep of change.deps) {
      const d = parseId(dep)
      if (d === undefined || d.counter >= ((h.known ?? h.to).get(d.peer) ?? 0)) return `${at} depends on an unknown op`
      if (d.peer === id.peer && d.counter >= id.counter) return `${at} depends on its own future`
      const l = h.lamportOf(d.peer, d.counter)
      if (l === undefined) return `${at} depends on an unknown op`
      lamport = Math.max(lamport, l + 1)
    }
    if (change.lamport !== lamport) return `${at} has Lamport ${change.lamport}, its deps say ${lamport}`
    if (id.counter > 0) {
      const previous = h.lamportOf(id.peer, id.counter - 1)
      if (previous === undefined || previous >= change.lamport) return `${at} is not after its peer's previous op`
    }
  }
  for (const [peer, end] of h.to) {
    if ((next.get(peer) ?? 0) !== end) return `the changes of peer ${peer} do not reach its version`
  }
  return undefined
}
