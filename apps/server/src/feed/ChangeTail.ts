import { compareOffsets, type Offset } from "./offset.js"

/** One logged change, as change_log holds it (see ChangeWriter.PendingChange). */
export interface LogChange {
  readonly lsn: number
  readonly pos: number
  readonly rowId: string
  readonly op: string
  readonly value: string
  readonly old: string | null
}

export interface TailRead {
  /** Changes to the shape's (table, workspace) after the offset, in offset order. */
  readonly changes: ReadonlyArray<LogChange>
  /** The table was truncated after the offset: the follower must refetch. */
  readonly truncated: boolean
  /** Every change below this commit position was considered (the `<head>_0` offset). */
  readonly head: number
}

/** A change as the tail is given it: the log's fields and its shape's (table, workspace). */
export interface TailChange extends LogChange {
  readonly tbl: string
  readonly ws: string
}

interface KeyLog {
  readonly key: string
  readonly tbl: string
  readonly ws: string
  items: Array<LogChange>
  start: number
}

/** Answers remembered per tail version (they are dropped at the next append). */
const MEMO_MAX = 10_000

const keyOf = (tbl: string, ws: string) => `${tbl}\u0000${ws}`

/**
 * The recent end of the change log in this node's memory, so a long-poll is answered
 * without a query: the WAL consumer appends each transaction as it is received (on the
 * node holding the slot), the other nodes append what a NOTIFY announces (one query per
 * notification, not per waiter). Complete for offsets at or after `from`; older offsets
 * are read from change_log. Bounded by `maxBytes` of change text, oldest dropped first.
 */
export class ChangeTail {
  epoch = 0
  /** Offsets at or after this are served from memory. */
  from: Offset = { lsn: 0, pos: 0 }
  /** Every commit whose LSN is below this is here (or below `from`). */
  head = 0
  /** Bumped by every append, truncate and reset: a reader that saw it unchanged missed nothing. */
  version = 0
  private readonly keys = new Map<string, KeyLog>()
  private readonly truncates = new Map<string, Offset>()
  /** Every kept change in offset order, beside its key's log (two arrays: no object per change). */
  private order: Array<LogChange> = []
  private orderLogs: Array<KeyLog> = []
  private orderStart = 0
  private bytes = 0
  /** Commit LSN of the last transaction appended: a transaction is appended once. */
  private lastLsn = -1
  private readonly waiters = new Map<string, Set<() => void>>()
  private readonly memos = new Map<string, unknown>()
  private memoVersion = -1
  private memoHead = -1

  constructor(private readonly maxBytes: number) {}

  /** A new slot epoch, or a gap this node cannot fill: start empty at `head`. */
  reset(epoch: number, head: number): void {
    this.epoch = epoch
    this.head = head
    this.from = { lsn: head, pos: 0 }
    this.keys.clear()
    this.truncates.clear()
    this.order = []
    this.orderLogs = []
    this.orderStart = 0
    this.bytes = 0
    this.lastLsn = -1
    this.version++
    for (const set of this.waiters.values()) for (const wake of [...set]) wake()
  }

  /**
   * One transaction's changes (each with this `lsn`), if it is past `head`; then `head` moves
   * to `endLsn`. The change objects are kept as they are, not copied: a transaction of 100,000
   * rows (a large workspace imported) is appended in one step, so that step allocates nothing
   * per change and looks each shape's log up once per run of changes to it.
   */
  append(lsn: number, endLsn: number, changes: ReadonlyArray<TailChange>): void {
    if (changes.length > 0 && (lsn < this.head || lsn <= this.lastLsn)) return
    if (changes.length > 0) this.lastLsn = lsn
    const woken = new Set<string>()
    let log: KeyLog | undefined
    for (const c of changes) {
      if (c.op === "t") {
        this.truncates.set(c.tbl, { lsn, pos: c.pos })
        for (const k of this.waiters.keys()) if (k.startsWith(`${c.tbl}\u0000`)) woken.add(k)
        continue
      }
      if (log === undefined || log.tbl !== c.tbl || log.ws !== c.ws) {
        const key = keyOf(c.tbl, c.ws)
        log = this.keys.get(key)
        if (!log) this.keys.set(key, (log = { key, tbl: c.tbl, ws: c.ws, items: [], start: 0 }))
        woken.add(key)
      }
      log.items.push(c)
      this.order.push(c)
      this.orderLogs.push(log)
      this.bytes += sizeOf(c)
    }
    this.head = Math.max(this.head, endLsn)
    this.version++
    this.trim()
    for (const k of woken) for (const wake of [...(this.waiters.get(k) ?? [])]) wake()
  }

  /** Everything below `lsn` was received (a fence, or a notification with no changes for us). */
  advance(lsn: number): void {
    this.head = Math.max(this.head, lsn)
  }

  covers(after: Offset): boolean {
    return compareOffsets(after, this.from) >= 0
  }

  read(tbl: string, ws: string, after: Offset, max: number): TailRead {
    const cut = this.truncates.get(tbl)
    const truncated = cut !== undefined && compareOffsets(cut, after) > 0
    const log = this.keys.get(keyOf(tbl, ws))
    if (!log || truncated) return { changes: [], truncated, head: this.head }
    const { items } = log
    let lo = log.start
    let hi = items.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (compareOffsets(items[mid]!, after) <= 0) lo = mid + 1
      else hi = mid
    }
    return { changes: items.slice(lo, Math.min(items.length, lo + max)), truncated, head: this.head }
  }

  /**
   * A value computed from the tail as it is now (same version and head), shared by every
   * reader that asks with the same key: 100 followers of one shape woken by one commit
   * encode their answer once.
   */
  memo<T>(key: string, compute: () => T): T {
    if (this.memoVersion !== this.version || this.memoHead !== this.head) {
      this.memos.clear()
      this.memoVersion = this.version
      this.memoHead = this.head
    }
    const hit = this.memos.get(key)
    if (hit !== undefined) return hit as T
    const value = compute()
    if (this.memos.size < MEMO_MAX) this.memos.set(key, value)
    return value
  }

  /** Calls `wake` on the next change to (table, workspace), a truncate of the table or a reset. */
  onChange(tbl: string, ws: string, wake: () => void): () => void {
    const key = keyOf(tbl, ws)
    let set = this.waiters.get(key)
    if (!set) this.waiters.set(key, (set = new Set()))
    set.add(wake)
    return () => {
      set.delete(wake)
      if (set.size === 0 && this.waiters.get(key) === set) this.waiters.delete(key)
    }
  }

  private trim(): void {
    while (this.bytes > this.maxBytes && this.orderStart < this.order.length) {
      const change = this.order[this.orderStart]!
      const log = this.orderLogs[this.orderStart++]!
      log.start++
      this.bytes -= sizeOf(change)
      this.from = { lsn: change.lsn, pos: change.pos }
      if (log.start === log.items.length) this.keys.delete(log.key)
      else if (log.start > 1024 && log.start * 2 > log.items.length) {
        log.items = log.items.slice(log.start)
        log.start = 0
      }
    }
    if (this.orderStart > 4096 && this.orderStart * 2 > this.order.length) {
      this.order = this.order.slice(this.orderStart)
      this.orderLogs = this.orderLogs.slice(this.orderStart)
      this.orderStart = 0
    }
  }
}

/** What a change counts against `maxBytes`: its text and a share for the objects around it. */
const sizeOf = (c: LogChange) => c.value.length + (c.old?.length ?? 0) + 64
