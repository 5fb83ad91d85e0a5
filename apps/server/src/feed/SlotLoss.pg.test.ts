import { Shape, ShapeStream } from "@electric-sql/client"
import type pg from "pg"
import { afterAll, describe, expect, it } from "vitest"
import { useFeedServer } from "./test/feedFixture.js"
import { insertTask, registerWorkspace, tableRows, waitFor } from "./test/feedServer.js"

const slot = async (db: pg.Client) =>
  (
    await db.query<{ wal_status: string }>(
      "select wal_status from pg_replication_slots where slot_name = 'vibestack_feed'",
    )
  ).rows[0]?.wal_status

describe("slot loss (tiny WAL limits)", () => {
  const f = useFeedServer(
    { max_slot_wal_keep_size: "1MB", min_wal_size: "32MB", max_wal_size: "64MB" },
    { VIBESTACK_FEED_LONG_POLL_MS: "500" },
  )
  const abort = new AbortController()
  // Registered after the fixture's, so it runs first (hooks unwind as a stack): the follower
  // stops before the server does.
  afterAll(() => abort.abort())

  it("[W5][F6] a consumer stalled past max_slot_wal_keep_size: slot recreated, followers get must-refetch and recover", async () => {
    const { srv, db } = f
    const { workspaceId: ws, masterToken } = await registerWorkspace(srv.url, "Lossy")
    for (let i = 0; i < 5; i++) await insertTask(db, ws, `a${i}`, "before")
    const stream = new ShapeStream({
      url: `${srv.url}/api/v1/shape`,
      params: { table: "tasks" },
      headers: { Authorization: `Bearer ${masterToken}` },
      signal: abort.signal,
    })
    const controls: Array<string> = []
    stream.subscribe((msgs) => {
      for (const m of msgs) if (!("key" in m)) controls.push(String(m.headers.control))
    })
    const shape = new Shape(stream as never)
    expect((await shape.rows).length).toBe(5)

    const consumer = srv.feed.consumer()!
    await consumer.stall()
    await db.query("create table filler (x text)")
    // Changes made while the slot is being lost: a refetch must still show them.
    await db.query("update tasks set title = 'during' where workspace_id = $1", [ws])
    for (let i = 0; i < 4 && (await slot(db)) !== "lost"; i++) {
      await db.query("insert into filler select repeat('x', 1000) from generate_series(1, 3000)")
      await db.query("select pg_switch_wal()")
      await db.query("checkpoint")
    }
    expect(await slot(db)).toBe("lost")

    consumer.resume()
    await waitFor(() => consumer.epoch === 2, 20_000, "slot recreated")
    await insertTask(db, ws, "after", "after")
    await waitFor(() => controls.includes("must-refetch"), 20_000, "must-refetch")
    const expected = await tableRows(db, "tasks", ws)
    await waitFor(() => shape.currentRows.length === expected.size, 20_000, "refetched rows")
    expect(new Map(shape.currentRows.map((r) => [String(r.id), r]))).toEqual(expected)
    expect(shape.currentRows.filter((r) => r.title === "during").length).toBe(5)
  })
})
