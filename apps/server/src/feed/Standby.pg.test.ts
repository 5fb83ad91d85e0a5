import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Shape, ShapeStream } from "@electric-sql/client"
import type pg from "pg"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { freePort, startTestPg, type TestPg } from "../test/pg.js"
import { spawnServer } from "../test/serverProcess.js"
import {
  connect,
  type FeedServer,
  insertTask,
  registerWorkspace,
  startFeedServer,
  tableRows,
  waitFor,
} from "./test/feedServer.js"

const JWT = "test-secret-that-is-long-enough-for-hs256"

/**
 * One node holds the slot; the others stand by (rule W7). Node A runs as a child process so it
 * can die without closing anything; node B runs here, its consumer observable. A follower on B
 * must see every change across the takeover: the ones A stored, the ones A received but never
 * confirmed (redelivered to B, deduped), and the ones made while no node held the slot.
 */
describe("change feed standby takeover (real Postgres, a node SIGKILLed)", () => {
  let pgServer: TestPg
  let a: Awaited<ReturnType<typeof spawnServer>> | undefined
  let b: FeedServer
  let db: pg.Client
  const aborts: Array<AbortController> = []
  const dataDir = mkdtempSync(join(tmpdir(), "vibestack-standby-"))

  beforeAll(async () => {
    pgServer = await startTestPg()
    db = await connect(pgServer.url)
  }, 120_000)
  afterAll(async () => {
    for (const x of aborts) x.abort()
    a?.child.kill("SIGKILL")
    await db?.end()
    await b?.stop()
    await pgServer?.dispose()
    rmSync(dataDir, { recursive: true, force: true })
  })

  it("[W7][W1][W2] a standby takes the slot when the holder is killed; its followers miss nothing", async () => {
    a = await spawnServer(
      {
        DATABASE_URL: pgServer.url,
        VIBESTACK_JWT_SECRET: JWT,
        VIBESTACK_NODE_ID: "node-a",
        VIBESTACK_DATA_DIR: dataDir,
      },
      await freePort(),
    )
    await waitFor(
      async () => (await db.query("select holder from feed_state where id = 1")).rows[0]?.holder === "node-a",
      60_000,
      "node A to hold the slot",
    )
    b = await startFeedServer(pgServer, { nodeId: "node-b" })
    await waitFor(() => b.feed.consumer()?.status === "standby", 15_000, "node B to stand by")

    const { workspaceId: ws, masterToken: token } = await registerWorkspace(b.url, "Standby")
    for (let i = 0; i < 20; i++) await insertTask(db, ws, `before-${i}`, `before ${i}`)
    const abort = new AbortController()
    aborts.push(abort)
    const stream = new ShapeStream({
      url: `${b.url}/api/v1/shape`,
      params: { table: "tasks" },
      headers: { Authorization: `Bearer ${token}` },
      signal: abort.signal,
    })
    const shape = new Shape(stream as never)
    const seen: Array<string> = []
    stream.subscribe((msgs) => {
      for (const m of msgs) if ("key" in m && m.headers.operation !== "delete") seen.push(String(m.value.id))
    })
    expect((await shape.rows).length).toBe(20)

    // Changes while A streams, then A dies mid-burst, then changes while nobody holds the slot.
    const burst = Array.from({ length: 30 }, (_, i) => insertTask(db, ws, `burst-${i}`, `burst ${i}`))
    a.child.kill("SIGKILL")
    await a.exited
    await Promise.all(burst)
    for (let i = 0; i < 10; i++) await insertTask(db, ws, `after-${i}`, `after ${i}`)
    await db.query("update tasks set title = 'renamed' where workspace_id = $1 and id = 'before-3'", [ws])

    await waitFor(() => b.feed.consumer()?.status === "streaming", 30_000, "node B to take the slot")
    expect((await db.query("select holder from feed_state where id = 1")).rows[0]?.holder).toBe("node-b")
    await waitFor(() => shape.currentRows.length === 60, 30_000, "the follower to see every insert")
    await waitFor(
      () => shape.currentRows.some((r) => r.id === "before-3" && r.title === "renamed"),
      30_000,
      "the follower to see the update made while no node held the slot",
    )
    const rows = new Map(shape.currentRows.map((r) => [String(r.id), r as Record<string, unknown>]))
    expect(rows).toEqual(await tableRows(db, "tasks", ws))
    // Each row's change arrived once (initial rows come in the snapshot, counted once too).
    const counts = new Map<string, number>()
    for (const id of seen) counts.set(id, (counts.get(id) ?? 0) + 1)
    expect([...counts.entries()].filter(([id, n]) => n > (id === "before-3" ? 2 : 1))).toEqual([])
    // change_log holds each insert once: redelivered changes hit the (lsn, pos) key.
    const dupes = await db.query(
      `select row_id, count(*)::int as n from change_log where workspace_id = $1 and op = 'I'
       group by row_id having count(*) > 1`,
      [ws],
    )
    expect(dupes.rows).toEqual([])
  })
})
