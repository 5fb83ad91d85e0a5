import type { SqlClient, SqlError } from "@effect/sql"
import { Effect } from "effect"
import type { LogChange } from "./ChangeTail.js"
import type { Offset } from "./offset.js"

interface LogRow {
  readonly epoch: number
  readonly epochLsn: number
  readonly lowWaterLsn: number
  readonly stored: number
  readonly truncated: boolean
  readonly lsn: number | null
  readonly pos: number
  readonly op: string
  readonly rowId: string
  readonly value: string
  readonly old: string | null
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
 */
export const readLog = (
  sql: SqlClient.SqlClient,
  q: { table: string; ws: string; after: Offset; epoch: number; max: number },
): Effect.Effect<LogRead, SqlError.SqlError> =>
  Effect.gen(function* () {
    const rows = yield* sql<LogRow>`
      select s.epoch, s.epoch_lsn, s.low_water_lsn, s.stored_lsn as stored,
        exists (select 1 from change_log t where t.tbl = ${q.table} and t.workspace_id = '*'
                and (t.lsn, t.pos) > (${q.after.lsn}, ${q.after.pos})) as truncated,
        c.lsn, c.pos, c.op, c.row_id, c.value, c.old
      from feed_state s left join lateral (
        select lsn, pos, op, row_id, value, old from change_log
        where tbl = ${q.table} and workspace_id = ${q.ws} and (lsn, pos) > (${q.after.lsn}, ${q.after.pos})
        order by lsn, pos limit ${q.max}
      ) c on true
      where s.id = 1`
    const head = rows[0]!
    if (head.epoch !== q.epoch) return { _tag: "MustRefetch", why: "the feed's slot changed" } as const
    if (q.after.lsn < head.epochLsn || (head.lowWaterLsn > 0 && q.after.lsn <= head.lowWaterLsn))
      return { _tag: "MustRefetch", why: "the offset is older than the retained history" } as const
    if (head.truncated) return { _tag: "MustRefetch", why: "the table was truncated" } as const
    const changes: ReadonlyArray<LogChange> = head.lsn === null ? [] : (rows as ReadonlyArray<LogChange>)
    return { _tag: "Changes", changes, stored: head.stored, complete: changes.length < q.max } as const
  })
