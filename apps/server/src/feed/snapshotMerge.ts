/**
 * Making an initial sync agree with a feed offset. A REPEATABLE READ snapshot S is taken,
 * then L1 = pg_current_wal_lsn(). Every transaction S sees committed below L1; a
 * transaction committing at or after L1 is invisible to S. What is ambiguous is the few
 * transactions that committed below L1 but that S does not see (in flight when S was
 * taken, or started after it). Their changes are in change_log once the consumer has
 * stored everything below L1, and are applied on top of S here: the result is exactly
 * the table as of L1, so catch-up from `<L1>_0` neither misses nor repeats anything and
 * no row goes back to an older state (rule W3).
 */

/** A Postgres snapshot with transaction ids reduced to 32 bits, as pgoutput reports them. */
export interface XidSnapshot {
  readonly xmin: number
  readonly xmax: number
  readonly xip: ReadonlyArray<number>
}

const xid32 = (text: string): number => Number(BigInt(text) % 4294967296n)

/** Parses `pg_current_snapshot()::text` (`xmin:xmax:xip1,xip2`). */
export const parseSnapshot = (text: string): XidSnapshot => {
  const [xmin, xmax, xip] = text.split(":")
  if (xmin === undefined || xmax === undefined) throw new Error(`not a snapshot: ${text}`)
  return {
    xmin: xid32(xmin),
    xmax: xid32(xmax),
    xip: xip ? xip.split(",").filter(Boolean).map(xid32) : [],
  }
}

/** Postgres' TransactionIdPrecedes: modulo-2^32 comparison. */
export const xidPrecedes = (a: number, b: number): boolean => ((a - b) | 0) < 0

/** Whether a committed transaction's effects are visible in the snapshot. */
export const visibleIn = (s: XidSnapshot, xid: number): boolean => xidPrecedes(xid, s.xmax) && !s.xip.includes(xid)

export interface LoggedChange {
  readonly lsn: number
  readonly pos: number
  readonly xid: number
  readonly rowId: string
  /** i, u, d or t */
  readonly op: string
  /** JSON object of text values. */
  readonly value: string
}

/**
 * Applies, in offset order, the changes the snapshot did not see to its rows (row id →
 * JSON text of the row's values). Returns false when one of them is a truncate: such a
 * snapshot cannot be repaired and the caller takes a new one.
 */
export const applyUnseen = (
  rows: Map<string, string>,
  changes: ReadonlyArray<LoggedChange>,
  snapshot: XidSnapshot,
): boolean => {
  const unseen = changes.filter((c) => !visibleIn(snapshot, c.xid)).sort((a, b) => a.lsn - b.lsn || a.pos - b.pos)
  for (const c of unseen) {
    if (c.op === "t") return false
    if (c.op === "d") rows.delete(c.rowId)
    else if (c.op === "i") rows.set(c.rowId, c.value)
    else {
      const before = rows.get(c.rowId)
      const merged = before ? { ...JSON.parse(before), ...JSON.parse(c.value) } : JSON.parse(c.value)
      rows.set(c.rowId, JSON.stringify(merged))
    }
  }
  return true
}
