import type { SqlClient } from "@effect/sql"
import { Effect } from "effect"
import type { FeedApi } from "./Feed.js"
import { changeMessage, rowKey, UP_TO_DATE } from "./messages.js"
import { formatOffset, maxOffset, type Offset } from "./offset.js"

export interface LogState {
  readonly epoch: number
  readonly epochLsn: number
  readonly lowWater: number
  readonly stored: number
}

interface LogRow {
  readonly stored: number
  readonly truncated: boolean
  readonly lsn: number | null
  readonly pos: number | null
  readonly op: string | null
  readonly rowId: string | null
  readonly value: string | null
}

export type LogPage =
  | { readonly _tag: "Page"; readonly body: string; readonly offset: string; readonly upToDate: boolean }
  | { readonly _tag: "MustRefetch" }

const MAX_ROWS = 20_000

/**
 * Changes to one shape after an offset, in offset order, read in one statement together
 * with `stored_lsn` so "up to date" means exactly "nothing below stored_lsn is missing".
 * With `live`, waits for the shape's next change (or the long-poll timeout) first.
 */
export const readLog = (
  sql: SqlClient.SqlClient,
  feed: FeedApi,
  q: { table: string; ws: string; after: Offset; live: boolean },
) =>
  Effect.gen(function* () {
    const deadline = Date.now() + feed.options.longPollMs
    for (;;) {
      const rows = yield* sql<LogRow>`
        select s.stored_lsn as stored,
          exists (select 1 from change_log t where t.tbl = ${q.table} and t.workspace_id = '*'
                  and (t.lsn, t.pos) > (${q.after.lsn}, ${q.after.pos})) as truncated,
          c.lsn, c.pos, c.op, c.row_id, c.value
        from feed_state s left join lateral (
          select lsn, pos, op, row_id, value from change_log
          where tbl = ${q.table} and workspace_id = ${q.ws} and (lsn, pos) > (${q.after.lsn}, ${q.after.pos})
          order by lsn, pos limit ${MAX_ROWS}
        ) c on true
        where s.id = 1`
      const head = rows[0]!
      if (head.truncated) return { _tag: "MustRefetch" } as const
      const changes = head.lsn === null ? [] : rows
      if (changes.length === 0 && q.live && Date.now() < deadline) {
        yield* feed.awaitChange(q.table, q.ws, head.stored, deadline - Date.now())
        if (Date.now() < deadline || feed.storedLsn() > head.stored) continue
      }
      const parts: Array<string> = []
      let bytes = 0
      let last = q.after
      for (const r of changes) {
        if (bytes > feed.options.pageBytes) break
        const m = changeMessage(rowKey(q.table, q.ws, r.rowId!), r.op!, r.lsn!, r.pos!, r.value!)
        parts.push(m)
        bytes += m.length
        last = { lsn: r.lsn!, pos: r.pos! }
      }
      const complete = parts.length === changes.length && changes.length < MAX_ROWS
      if (complete) {
        parts.push(UP_TO_DATE)
        last = maxOffset(last, { lsn: head.stored, pos: 0 })
      }
      return { _tag: "Page", body: `[${parts.join(",")}]`, offset: formatOffset(last), upToDate: complete } as const
    }
  })
