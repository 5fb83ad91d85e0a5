import pg from "pg"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { startTestPg, type TestPg } from "../test/pg.js"
import { CommitConnection } from "./CommitConnection.js"

let db: TestPg
let admin: pg.Client
beforeAll(async () => {
  db = await startTestPg()
  admin = new pg.Client({ connectionString: db.url })
  await admin.connect()
}, 60_000)
afterAll(async () => {
  await admin?.end()
  await db?.dispose()
})

const PID = "select pg_backend_pid() as pid"
const pidOf = async (c: CommitConnection) => (await c.query<{ pid: number }>("pid", PID, [], 5_000))[0]!.pid

describe("the byte store's commit session (real Postgres)", () => {
  it("keeps one session and prepares a named statement once on it", async () => {
    const c = new CommitConnection(db.url)
    const first = await pidOf(c)
    expect(await pidOf(c)).toBe(first)
    const prepared = await c.query<{ n: number }>(
      "prepared",
      "select count(*)::int as n from pg_prepared_statements where name = 'pid'",
      [],
      5_000,
    )
    expect(prepared[0]!.n).toBe(1)
    c.close()
  })

  it("opens a new session after its backend is terminated (at most the query that met the dead one fails)", async () => {
    const c = new CommitConnection(db.url)
    const first = await pidOf(c)
    await admin.query("select pg_terminate_backend($1)", [first])
    let next: number | undefined
    let failures = 0
    for (let i = 0; i < 3 && next === undefined; i++)
      next = await pidOf(c).catch(() => {
        failures++
        return undefined
      })
    expect(failures).toBeLessThanOrEqual(1)
    expect(next).toBeDefined()
    expect(next).not.toBe(first)
    c.close()
  })

  it("gives up on a query past its time, abandons that session, and the next query gets a fresh one", async () => {
    const c = new CommitConnection(db.url)
    const first = await pidOf(c)
    await expect(c.query("sleep", "select pg_sleep(5)", [], 200)).rejects.toThrow(/did not answer within 200 ms/)
    const next = await pidOf(c)
    expect(next).not.toBe(first)
    c.close()
  })

  it("refuses queries once closed, and closing ends its session", async () => {
    const c = new CommitConnection(db.url)
    const pid = await pidOf(c)
    c.close()
    await expect(pidOf(c)).rejects.toThrow(/closed/)
    const deadline = Date.now() + 10_000
    let alive = true
    while (alive && Date.now() < deadline) {
      const r = await admin.query("select count(*)::int as n from pg_stat_activity where pid = $1", [pid])
      alive = r.rows[0].n > 0
      if (alive) await new Promise((r) => setTimeout(r, 50))
    }
    expect(alive).toBe(false)
  })
})
