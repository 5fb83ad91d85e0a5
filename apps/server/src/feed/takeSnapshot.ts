import type { SqlClient } from "@effect/sql"
import { Effect } from "effect"
import type { FeedApi } from "./Feed.js"
import { rowKey, snapshotMessage } from "./messages.js"
import { formatOffset, parseLsn } from "./offset.js"
import { applyUnseen, type LoggedChange, parseSnapshot } from "./snapshotMerge.js"

export type Snapshot =
  | {
      readonly _tag: "Snapshot"
      readonly epoch: number
      readonly pages: ReadonlyArray<string>
      readonly offset: string
    }
  | { readonly _tag: "Unavailable"; readonly message: string }

/**
 * An initial sync: the shape's rows exactly as of WAL position L1, cut into pages, and the
 * offset `<L1>_0` that catch-up continues from (rule W3; see snapshotMerge.ts for why).
 */
export const takeSnapshot = (
  sql: SqlClient.SqlClient,
  feed: FeedApi,
  info: { readonly name: string; readonly valueSql: string },
  ws: string,
  hooks: { afterSnapshot?: (() => Promise<void>) | undefined },
) =>
  Effect.gen(function* () {
    for (let attempt = 0; attempt < 3; attempt++) {
      const [before] = yield* sql<{ lsn: string }>`select pg_current_wal_lsn()::text as lsn`
      const l0 = parseLsn(before!.lsn)
      const snap = yield* sql.withTransaction(
        Effect.gen(function* () {
          yield* sql.unsafe("set transaction isolation level repeatable read, read only")
          yield* sql.unsafe("set local timezone = 'UTC'")
          yield* sql.unsafe("set local datestyle = 'ISO, YMD'")
          yield* sql.unsafe("set local extra_float_digits = 3")
          const [s] = yield* sql<{ snap: string; epoch: number }>`
            select pg_current_snapshot()::text as snap, epoch from feed_state where id = 1`
          const rows = yield* sql.unsafe<{ id: string; v: string }>(
            `select id, ${info.valueSql} as v from "${info.name}" where workspace_id = $1`,
            [ws],
          )
          if (hooks.afterSnapshot) yield* Effect.promise(hooks.afterSnapshot)
          const [after] = yield* sql<{ lsn: string }>`select pg_current_wal_lsn()::text as lsn`
          return { snapshot: parseSnapshot(s!.snap), epoch: s!.epoch, rows, l1: parseLsn(after!.lsn) }
        }),
      )
      if (snap.epoch === 0) return { _tag: "Unavailable", message: "the change feed is starting" } as const
      if (!(yield* feed.awaitStored(snap.l1)))
        return { _tag: "Unavailable", message: "the change feed is behind; retry" } as const
      // Changes below L1 the snapshot did not see: in flight when it was taken, or begun after.
      // Two index scans: an OR of the two conditions would read the workspace's whole history.
      const recent = yield* sql<LoggedChange>`
        select lsn, pos, xid, row_id, op, value from change_log
        where tbl = ${info.name} and workspace_id in (${ws}, '*') and lsn >= ${l0} and lsn < ${snap.l1}`
      const inFlight =
        snap.snapshot.xip.length === 0
          ? []
          : yield* sql<LoggedChange>`
              select lsn, pos, xid, row_id, op, value from change_log
              where xid in ${sql.in(snap.snapshot.xip)} and lsn < ${snap.l1} and lsn < ${l0}
                and tbl = ${info.name} and workspace_id in (${ws}, '*')`
      const unseen = [...recent, ...inFlight]
      const byId = new Map<string, string>()
      for (const r of snap.rows) byId.set(r.id, r.v)
      if (!applyUnseen(byId, unseen, snap.snapshot)) continue
      const pages: Array<string> = []
      let page: Array<string> = []
      let bytes = 0
      for (const [id, value] of byId) {
        const m = snapshotMessage(rowKey(info.name, ws, id), value)
        page.push(m)
        bytes += m.length
        if (bytes >= feed.options.pageBytes) {
          pages.push(`[${page.join(",")}]`)
          page = []
          bytes = 0
        }
      }
      if (page.length > 0 || pages.length === 0) pages.push(`[${page.join(",")}]`)
      return { _tag: "Snapshot", epoch: snap.epoch, pages, offset: formatOffset({ lsn: snap.l1, pos: 0 }) } as const
    }
    return { _tag: "Unavailable", message: "the table was truncated during the sync; retry" } as const
  })
