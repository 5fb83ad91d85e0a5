import type { LogChange } from "./ChangeTail.js"
import type { PendingTx } from "./ChangeWriter.js"

/**
 * How change_log is stored (migration 0011): one `change_groups` row per transaction, table
 * and workspace, holding up to GROUP_CHANGES of its changes, instead of one row per change.
 * A 1,000-row transaction costs Postgres one row and one entry per index instead of a
 * thousand: a sixth of its CPU per stored change (bench/feed-log-write.ts).
 *
 * A group's `changes` is one text of records separated by RS, each
 * `pos US op US row id as JSON US value US old` (old empty when unknown). Value and old
 * are JSON text, which never holds a raw control character, and the row id is JSON-encoded,
 * so neither separator can occur inside a field. The `change_log` view expands groups back
 * into rows for people and tests; the server's readers expand them here.
 */
export interface ChangeGroup {
  readonly lsn: number
  /** Position of the group's first change in its transaction: the row's key with `lsn`. */
  readonly pos: number
  readonly lastPos: number
  readonly n: number
  readonly xid: number
  readonly tbl: string
  readonly ws: string
  readonly at: Date
  readonly changes: string
}

/** Changes per group at most: bounds what one read of a group brings into memory. */
export const GROUP_CHANGES = 1000
/** A group is closed once its text reaches this many characters. */
export const GROUP_CHARS = 256 * 1024

const RS = "\u001e"
const US = "\u001f"

interface Open {
  readonly tbl: string
  readonly ws: string
  pos: number
  lastPos: number
  chars: number
  readonly records: Array<string>
}

/**
 * A transaction's changes as groups, deterministically: a redelivered transaction yields
 * the same (lsn, pos) keys, which is what makes storing it twice a no-op (rule W2).
 */
export const groupsOf = (tx: PendingTx): Array<ChangeGroup> => {
  const builder = new GroupBuilder(tx)
  builder.add(tx.changes.length)
  return builder.finish()
}

/**
 * `groupsOf` a slice of changes at a time, so a caller can let other work run between
 * slices: a transaction of 100,000 rows (a large workspace imported or forked) took 0.1-0.16 s
 * to group in one step, during which the server answered nothing.
 */
export class GroupBuilder {
  private readonly out: Array<ChangeGroup> = []
  private readonly open = new Map<string, Open>()
  private next = 0

  constructor(private readonly tx: PendingTx) {}

  /** Groups the next `n` changes (fewer at the end). */
  add(n: number): void {
    const { changes } = this.tx
    const end = Math.min(changes.length, this.next + n)
    let key = ""
    let g: Open | undefined
    for (let i = this.next; i < end; i++) {
      const c = changes[i]!
      // Consecutive changes are mostly to one (table, workspace): one key and lookup per run.
      if (g === undefined || g.tbl !== c.tbl || g.ws !== c.ws) {
        key = `${c.tbl}\u0000${c.ws}`
        g = this.open.get(key)
      }
      if (g && (g.records.length >= GROUP_CHANGES || g.chars >= GROUP_CHARS)) {
        this.close(g)
        g = undefined
      }
      if (!g) {
        g = { tbl: c.tbl, ws: c.ws, pos: i + 1, lastPos: i + 1, chars: 0, records: [] }
        this.open.set(key, g)
      }
      const record = `${i + 1}${US}${c.op}${US}${JSON.stringify(c.id)}${US}${c.value}${US}${c.old ?? ""}`
      g.records.push(record)
      g.chars += record.length + 1
      g.lastPos = i + 1
    }
    this.next = end
  }

  /** The groups, once every change was added. */
  finish(): Array<ChangeGroup> {
    for (const g of this.open.values()) this.close(g)
    this.open.clear()
    return this.out
  }

  private close(g: Open): void {
    const { tx } = this
    this.out.push({
      lsn: tx.lsn,
      pos: g.pos,
      lastPos: g.lastPos,
      n: g.records.length,
      xid: tx.xid,
      tbl: g.tbl,
      ws: g.ws,
      at: tx.at,
      changes: g.records.join(RS),
    })
  }
}

/** A group's changes, in position order. */
export const expandGroup = (lsn: number, changes: string): Array<LogChange> =>
  changes.split(RS).map((record) => {
    const [pos, op, id, value, old] = record.split(US) as [string, string, string, string, string]
    return { lsn, pos: Number(pos), rowId: JSON.parse(id) as string, op, value, old: old === "" ? null : old }
  })

/** Changes of several groups in offset order (groups of one transaction interleave by position). */
export const expandGroups = (
  groups: ReadonlyArray<{ readonly lsn: number; readonly changes: string }>,
): Array<LogChange> => {
  const out = groups.flatMap((g) => expandGroup(g.lsn, g.changes))
  return out.sort((a, b) => a.lsn - b.lsn || a.pos - b.pos)
}

/** The groups as the `g` parameter of ChangeWriter's single statement: a JSON array. */
export const encodeGroupsJson = (groups: ReadonlyArray<ChangeGroup>): string =>
  JSON.stringify(
    groups.map((g) => ({
      l: g.lsn,
      p: g.pos,
      q: g.lastPos,
      n: g.n,
      x: g.xid,
      t: g.tbl,
      w: g.ws,
      c: g.at.toISOString(),
      g: g.changes,
    })),
  )

/** change_groups' columns in the order encodeGroupsCopy writes them. */
export const COPY_COLUMNS = "lsn, pos, last_pos, n, xid, tbl, workspace_id, committed_at, changes"

const SIGNATURE = Buffer.from("PGCOPY\n\xff\r\n\u0000", "latin1")
/** Postgres' timestamp epoch, 2000-01-01, in Unix milliseconds. */
const PG_EPOCH_MS = 946_684_800_000

/**
 * The groups in COPY's binary format: every field length-prefixed, so a group's text
 * (hundreds of kilobytes of JSON full of quotes and backslashes) goes as it is, with no
 * escaping pass over it as the text format would need.
 */
export const encodeGroupsCopy = (groups: ReadonlyArray<ChangeGroup>): Buffer => Buffer.concat([...copyChunks(groups)])

/**
 * `encodeGroupsCopy` one group at a time, for a stream to pull as it writes: a batch of
 * 27 MB was 0.05 s of encoding in one step.
 */
export function* copyChunks(groups: ReadonlyArray<ChangeGroup>): Generator<Buffer> {
  yield Buffer.concat([SIGNATURE, Buffer.alloc(8)])
  for (const g of groups) {
    const tbl = Buffer.from(g.tbl)
    const ws = Buffer.from(g.ws)
    const changes = Buffer.from(g.changes)
    // Field count; lsn, pos, last_pos, n, xid, each after its length; tbl's length.
    const head = Buffer.alloc(2 + 12 + 3 * 8 + 12 + 4)
    let o = head.writeInt16BE(9, 0)
    o = head.writeInt32BE(8, o)
    o = head.writeBigInt64BE(BigInt(g.lsn), o)
    for (const v of [g.pos, g.lastPos, g.n]) {
      o = head.writeInt32BE(4, o)
      o = head.writeInt32BE(v, o)
    }
    o = head.writeInt32BE(8, o)
    o = head.writeBigInt64BE(BigInt(g.xid), o)
    head.writeInt32BE(tbl.length, o)
    const wsLength = Buffer.alloc(4)
    wsLength.writeInt32BE(ws.length, 0)
    // committed_at (microseconds since 2000-01-01) after its length; the changes' length.
    const tail = Buffer.alloc(12 + 4)
    tail.writeInt32BE(8, 0)
    tail.writeBigInt64BE(BigInt(g.at.getTime() - PG_EPOCH_MS) * 1000n, 4)
    tail.writeInt32BE(changes.length, 12)
    yield Buffer.concat([head, tbl, wsLength, ws, tail, changes])
  }
  yield Buffer.from([0xff, 0xff])
}
