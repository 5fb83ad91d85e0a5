import type { SqlClient } from "@effect/sql"
import { Clock, Effect } from "effect"

/** Groups looked at per run from the old end, so one run never scans the whole log. */
const SCAN = 200_000

/**
 * Deletes change_log history older than `maxAgeMs` or beyond the newest `maxRows` changes
 * (whole transactions' groups: a cut never falls inside a transaction), and
 * raises `low_water_lsn` in the same transaction: a consumer whose offset is at or below
 * it gets must-refetch (rule W6). Every node hears of the new low water by NOTIFY.
 */
export const trimChangeLog = (sql: SqlClient.SqlClient, policy: { maxAgeMs: number; maxRows: number }) =>
  sql.withTransaction(
    Effect.gen(function* () {
      const cutoffAt = new Date((yield* Clock.currentTimeMillis) - policy.maxAgeMs)
      const byAge = yield* sql<{ lsn: number | null }>`
        select max(lsn) as lsn from (select lsn, committed_at from change_groups order by lsn, pos limit ${SCAN}) x
        where committed_at < ${cutoffAt}`
      // The newest group past maxRows changes, counted from the new end (a streaming window: it
      // stops at the first such group).
      const byRows = yield* sql<{ lsn: number }>`
        select lsn from (
          select lsn, sum(n) over (order by lsn desc, pos desc rows unbounded preceding) as newer
          from change_groups
        ) x where newer > ${policy.maxRows} limit 1`
      const cutoff = Math.max(byAge[0]?.lsn ?? 0, byRows[0]?.lsn ?? 0)
      if (cutoff === 0) return { deleted: 0, cutoff }
      const deleted = yield* sql<{ n: number }>`
        with d as (delete from change_groups where lsn <= ${cutoff} returning n) select coalesce(sum(n), 0)::int as n from d`
      yield* sql`update feed_state set low_water_lsn = greatest(low_water_lsn, ${cutoff}) where id = 1`
      yield* sql`select pg_notify('vibestack_feed', '0|*')`
      return { deleted: deleted[0]?.n ?? 0, cutoff }
    }),
  )
