import pg from "pg"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { startTestPg, type TestPg } from "../test/pg.js"

describe("embedded Postgres", () => {
  let db: TestPg
  beforeAll(async () => {
    db = await startTestPg()
  })
  afterAll(() => db?.dispose())

  it("runs with wal_level=logical and a bounded slot WAL", async () => {
    const c = new pg.Client(db.url)
    await c.connect()
    const { rows } = await c.query(
      "select current_setting('wal_level') as w, current_setting('max_slot_wal_keep_size') as k",
    )
    await c.end()
    expect(rows[0]).toEqual({ w: "logical", k: "1GB" })
  })
})
