import { SqlClient } from "@effect/sql"
import { sqlMigrations } from "@vibestack/migrations"
import { Effect, ManagedRuntime, Redacted } from "effect"
import fc from "fast-check"
import pg from "pg"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { pgLayer } from "../db/Database.js"
import { startTestPg, type TestPg } from "../test/pg.js"
import type { LogChange } from "./ChangeTail.js"
import { ChangeWriter, type PendingChange, type PendingTx } from "./ChangeWriter.js"
import { GROUP_CHANGES } from "./changeGroups.js"
import { compareOffsets, type Offset } from "./offset.js"
import { readLog } from "./readLog.js"
import { trimChangeLog } from "./retention.js"
import { insertOf } from "./test/changes.js"

let server: TestPg
let db: pg.Client
let writer: ChangeWriter | undefined
let runtime: ManagedRuntime.ManagedRuntime<SqlClient.SqlClient, unknown>

beforeAll(async () => {
  server = await startTestPg()
  db = new pg.Client({ connectionString: server.url })
  await db.connect()
  runtime = ManagedRuntime.make(pgLayer(Redacted.make(server.url), 2))
})
afterAll(async () => {
  await writer?.close()
  await runtime?.dispose()
  await db?.end()
  await server?.dispose()
})

const withSql = <A, E>(f: (sql: SqlClient.SqlClient) => Effect.Effect<A, E>) =>
  runtime.runPromise(Effect.flatMap(SqlClient.SqlClient, f))

/** Every change after `after`, page by page as serveLog reads them. */
const readAll = async (table: string, ws: string, after: Offset, max: number) => {
  const out: Array<LogChange> = []
  let at = after
  for (;;) {
    const page = await withSql((sql) => readLog(sql, { table, ws, after: at, epoch: 0, max }))
    if (page._tag !== "Changes") throw new Error(page.why)
    expect(page.changes.length).toBeLessThanOrEqual(max)
    out.push(...page.changes)
    if (page.complete) return out
    // An incomplete page always moves on.
    expect(page.changes.length).toBeGreaterThan(0)
    at = page.changes.at(-1)!
  }
}

let lsn = 5_000_000
const tx = (changes: Array<PendingChange>): PendingTx => {
  lsn += 1000
  return { xid: lsn % 4_000_000, lsn, endLsn: lsn + 10, at: new Date(), changes }
}

describe("change_log stored as groups (real Postgres)", () => {
  it("[W1] migration 0011 turns every logged row into a group and the change_log view gives back the same rows", async () => {
    for (const m of sqlMigrations.filter((m) => m.id < 11)) await db.query(m.sql)
    const rows = [
      [100, 1, 7, "tasks", "w1", "t1", "i", '{"id":"t1","title":"a \\"quoted\\" title"}', null],
      [100, 2, 7, "tasks", "w2", "x\t\n\u001e\u001f\\y", "u", '{"title":"b"}', '{"title":"a"}'],
      [100, 3, 7, "projects", "w1", "p1", "d", '{"id":"p1"}', '{"id":"p1","name":"n"}'],
      [200, 1, 8, "tasks", "*", "", "t", "{}", null],
    ]
    for (const r of rows)
      await db.query(
        `insert into change_log (lsn, pos, xid, tbl, workspace_id, row_id, op, value, old, committed_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, now())`,
        r,
      )
    const before = await db.query("select * from change_log order by lsn, pos")
    for (const m of sqlMigrations.filter((m) => m.id >= 11)) await db.query(m.sql)
    const after = await db.query("select * from change_log order by lsn, pos")
    expect(after.rows).toEqual(before.rows)
    const groups = await db.query("select count(*)::int as n, sum(n)::int as changes from change_groups")
    expect(groups.rows[0]).toEqual({ n: 4, changes: 4 })
    const w2 = await withSql((sql) =>
      readLog(sql, { table: "tasks", ws: "w2", after: { lsn: 0, pos: 0 }, epoch: 0, max: 10 }),
    )
    // The truncate at 200 concerns every workspace: a follower must refetch.
    expect(w2._tag).toBe("MustRefetch")
    const w1 = await withSql((sql) =>
      readLog(sql, { table: "projects", ws: "w1", after: { lsn: 0, pos: 0 }, epoch: 0, max: 10 }),
    )
    expect(w1._tag === "Changes" && w1.changes.map((c) => [c.lsn, c.pos, c.op, c.old])).toEqual([
      [100, 3, "d", '{"id":"p1","name":"n"}'],
    ])
    await db.query("delete from change_groups")
  })

  it("[W4] reading the log page by page from any offset gives every later change once, in order, whatever the page size", async () => {
    writer = new ChangeWriter(server.url, {
      onStored: () => {},
      onFailed: (e) => console.error(e),
      onDrained: () => {},
    })
    expect(await writer.holdLock()).toBe(true)
    const change = insertOf
    // A large transaction split into several groups, interleaved with another workspace's
    // and another table's changes; small transactions around it; one over COPY_FROM.
    const txs = [
      tx([change("tasks", "w1", "a0"), change("tasks", "w2", "b0")]),
      tx(
        Array.from({ length: 2 * GROUP_CHANGES + 500 }, (_, i) =>
          change(i % 3 === 1 ? "projects" : "tasks", i % 5 === 0 ? "w2" : "w1", `big${i}`),
        ),
      ),
      ...Array.from({ length: 30 }, (_, i) => tx([change("tasks", "w1", `s${i}`)])),
      tx(Array.from({ length: 150 }, (_, i) => change("tasks", "w1", `c${i}`))),
    ]
    for (const t of txs) writer.enqueue(t)
    const last = txs.at(-1)!.endLsn
    while (writer.storedLsn < last) await new Promise((r) => setTimeout(r, 20))
    const all = txs.flatMap((t) =>
      t.changes.flatMap((c, i) =>
        c.tbl === "tasks" && c.ws === "w1" ? [{ lsn: t.lsn, pos: i + 1, rowId: c.id }] : [],
      ),
    )
    await fc.assert(
      fc.asyncProperty(
        fc.nat({ max: all.length }),
        fc.boolean(),
        fc.constantFrom(40, 999, 1000, 5000),
        async (k, exact, max) => {
          // From a logged change's offset, or from one between it and the next.
          const at =
            k === 0 ? { lsn: 0, pos: 0 } : exact ? all[k - 1]! : { lsn: all[k - 1]!.lsn, pos: all[k - 1]!.pos + 1 }
          const got = await readAll("tasks", "w1", at, max)
          expect(got.map((c) => ({ lsn: c.lsn, pos: c.pos, rowId: c.rowId }))).toEqual(
            all.filter((c) => compareOffsets(c, at) > 0),
          )
        },
      ),
      { numRuns: 20 },
    )
  })

  it("[W6] retention counts changes, not groups, and never cuts a transaction", async () => {
    const counts = async () =>
      (await db.query("select count(*)::int as groups, coalesce(sum(n), 0)::int as changes from change_groups")).rows[0]
    const before = await counts()
    expect(before.groups).toBeLessThan(before.changes)
    // The newest 200 changes are the 150-change transaction, the 30 small ones and part of the big one...
    const r = await withSql((sql) => trimChangeLog(sql, { maxAgeMs: 3_600_000, maxRows: 200 }))
    const after = await counts()
    expect(r.deleted).toBe(before.changes - after.changes)
    // ...of which the big one goes whole: what stays is below 200 changes, and whole transactions.
    expect(after.changes).toBe(150 + 30)
    const low = await db.query("select low_water_lsn::float8 as l from feed_state")
    expect(low.rows[0].l).toBe(r.cutoff)
  })
})
