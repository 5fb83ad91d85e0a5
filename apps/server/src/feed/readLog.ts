import type { SqlClient, SqlError } from "@effect/sql"
import { Effect } from "effect"
import type { LogChange } from "./ChangeTail.js"
import { expandGroups } from "./changeGroups.js"
import { compareOffsets, type Offset } from "./offset.js"

interface LogRow {
  readonly epoch: number
  readonly epochLsn: number
  readonly lowWaterLsn: number
  readonly stored: number
  readonly truncated: boolean
  readonly lsn: number | null
  /** Null for a group past `max` changes: more follow. */
  readonly changes: string | null
}

type LogRead =
  | {
      readonly _tag: "Changes"
      readonly changes: ReadonlyArray<LogChange>
      /** stored_lsn when read: with `complete`, nothing below it is missing. */
      readonly stored: number
      /** False when `max` changes were returned and more may follow. */
      readonly complete: boolean
    }
  | { readonly _tag: "MustRefetch"; readonly why: string }

/**
 * Changes to one (table, workspace) after an offset, from change_log, in offset order: the
 * catch-up path for offsets older than this node's tail. Read in one statement with
 * feed_state, so the epoch, retention and truncate checks agree with the rows returned.
 * At most `max` groups are looked at, and only those starting within the first `max`
 * changes are read whole; every group read has a change after the offset.
 */
export const readLog = (
  sql: SqlClient.SqlClient,
  q: { table: string; ws: string; after: Offset; epoch: number; max: number },
): Effect.Effect<LogRead, SqlError.SqlError> =>
  Effect.gen(function* () {
    const rows = yield* sql<LogRow>`
      select s.epoch, s.epoch_lsn, s.low_water_lsn, s.stored_lsn as stored,
        exists (select 1 from change_groups t where t.tbl = ${q.table} and t.workspace_id = '*'
                and t.lsn >= ${q.after.lsn} and (t.lsn, t.last_pos) > (${q.after.lsn}, ${q.after.pos})) as truncated,
        c.lsn, case when c.before < ${q.max} then c.changes end as changes
      from feed_state s left join lateral (
        select lsn, pos, changes, sum(n) over (order by lsn, pos rows unbounded preceding) - n as before
        from (
          select lsn, pos, n, changes from change_groups
          where tbl = ${q.table} and workspace_id = ${q.ws} and lsn >= ${q.after.lsn}
            and (lsn, last_pos) > (${q.after.lsn}, ${q.after.pos})
          order by lsn, pos limit ${q.max}
        ) g
      ) c on true
      where s.id = 1
      order by c.lsn, c.pos`
    const head = rows[0]!
    if (head.epoch !== q.epoch) return { _tag: "MustRefetch", why: "the feed's slot changed" } as const
    if (q.after.lsn < head.epochLsn || (head.lowWaterLsn > 0 && q.after.lsn <= head.lowWaterLsn))
      return { _tag: "MustRefetch", why: "the offset is older than the retained history" } as const
    if (head.truncated) return { _tag: "MustRefetch", why: "the table was truncated" } as const
    if (head.lsn === null) return { _tag: "Changes", changes: [], stored: head.stored, complete: true } as const
    const read = rows.filter((r): r is LogRow & { lsn: number; changes: string } => r.changes !== null)
    const after = expandGroups(read).filter((c) => compareOffsets(c, q.after) > 0)
    const changes = after.slice(0, q.max)
    // Complete when nothing was left: no group unread, none past the limit, no change cut off.
    const complete = read.length === rows.length && rows.length < q.max && after.length <= q.max
    return { _tag: "Changes", changes, stored: head.stored, complete } as const
  })
