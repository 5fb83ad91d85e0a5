import { Shape, ShapeStream } from "@electric-sql/client"
import { Effect } from "effect"
import type pg from "pg"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { startTestPg, type TestPg } from "../test/pg.js"
import {
  connect,
  type FeedServer,
  insertTask,
  registerWorkspace,
  startFeedServer,
  tableRows,
  waitFor,
} from "./test/feedServer.js"

const rowsOf = (shape: Shape) => new Map(shape.currentRows.map((r) => [String(r.id), r as Record<string, unknown>]))

describe("shape endpoint with the Electric client", () => {
  let pgServer: TestPg
  let srv: FeedServer
  let db: pg.Client
  let ws: string
  let token: string
  const streams: Array<AbortController> = []
  const follow = (opts: { offset?: string; handle?: string } = {}) => {
    const abort = new AbortController()
    streams.push(abort)
    const stream = new ShapeStream({
      url: `${srv.url}/api/v1/shape`,
      params: { table: "tasks" },
      headers: { Authorization: `Bearer ${token}` },
      signal: abort.signal,
      ...(opts.offset ? { offset: opts.offset as never, handle: opts.handle } : {}),
    })
    const shape = new Shape(stream as never)
    return { stream, shape, abort }
  }

  beforeAll(async () => {
    pgServer = await startTestPg()
    srv = await startFeedServer(pgServer, { nodeId: "a" })
    db = await connect(pgServer.url)
    const reg = await registerWorkspace(srv.url, "Acme")
    ws = reg.workspaceId
    token = reg.masterToken
  }, 60_000)
  afterAll(async () => {
    for (const a of streams) a.abort()
    await db?.end()
    await srv?.stop()
    await pgServer?.dispose()
  })

  it("[W3][W4] follows a table through initial sync, live changes and a consumer restart", async () => {
    for (let i = 0; i < 50; i++) await insertTask(db, ws, `t${i}`, `task ${i}`)
    const { shape, stream, abort } = follow()
    const initial = await shape.rows
    expect(initial.length).toBe(50)
    expect(rowsOf(shape)).toEqual(await tableRows(db, "tasks", ws))

    await insertTask(db, ws, "t50", "live one")
    await db.query("update tasks set title = 'renamed' where workspace_id = $1 and id = 't3'", [ws])
    await db.query("delete from tasks where workspace_id = $1 and id = 't4'", [ws])
    await waitFor(() => rowsOf(shape).get("t3")?.title === "renamed" && !rowsOf(shape).has("t4"))
    expect(rowsOf(shape)).toEqual(await tableRows(db, "tasks", ws))

    // A consumer that stops and comes back resumes from its offset and handle.
    const offset = stream.lastOffset
    const handle = stream.shapeHandle
    abort.abort()
    await db.query("update tasks set title = 'while away' where workspace_id = $1 and id = 't5'", [ws])
    const resumed = follow({ offset, ...(handle ? { handle } : {}) })
    const seen: Array<string> = []
    resumed.stream.subscribe((msgs) => {
      for (const m of msgs) if ("key" in m) seen.push(String((m.value as { id: string }).id))
    })
    await waitFor(() => seen.includes("t5"), 15_000, "resumed change")
    // Only the change made while away, not a second initial sync.
    expect(seen).toEqual(["t5"])
    resumed.abort.abort()
  })

  it("[W4] a follower resumes from its offset across a server restart", async () => {
    const { stream, shape, abort } = follow()
    await shape.rows
    const offset = stream.lastOffset
    const handle = stream.shapeHandle!
    abort.abort()
    await srv.stop()
    await db.query("update tasks set title = 'while down' where workspace_id = $1 and id = 't6'", [ws])
    srv = await startFeedServer(pgServer, { nodeId: "b" })
    const resumed = follow({ offset, handle })
    const seen: Array<string> = []
    resumed.stream.subscribe((msgs) => {
      for (const m of msgs) if ("key" in m) seen.push(String((m.value as { id: string }).id))
    })
    await waitFor(() => seen.includes("t6"), 15_000, "change made while the server was down")
    expect(seen).toEqual(["t6"])
    resumed.abort.abort()
  })

  it("[W6] a follower older than the retained history gets must-refetch and recovers", async () => {
    const { stream, shape, abort } = follow()
    await shape.rows
    const offset = stream.lastOffset
    const handle = stream.shapeHandle!
    abort.abort()
    await db.query("update tasks set title = 'trimmed' where workspace_id = $1 and id = 't7'", [ws])
    // This update's own change, not an earlier test's change to t7.
    await waitFor(async () => {
      const r = await db.query("select count(*)::int as n from change_log where row_id = 't7' and lsn > $1", [
        offset.split("_")[0],
      ])
      return r.rows[0].n > 0
    })
    // Keep no rows: an age cutoff of "now" can miss a change committed in the same millisecond.
    expect(await Effect.runPromise(srv.feed.trim({ maxRows: 0 }))).toBeGreaterThan(0)
    const res = await fetch(`${srv.url}/api/v1/shape?table=tasks&offset=${offset}&handle=${handle}`, {
      headers: { authorization: `Bearer ${token}` },
    })
    expect(res.status).toBe(409)
    expect(await res.json()).toEqual([{ headers: { control: "must-refetch" } }])
    const resumed = follow({ offset, handle })
    const controls: Array<string> = []
    resumed.stream.subscribe((msgs) => {
      for (const m of msgs) if (!("key" in m)) controls.push(String(m.headers.control))
    })
    await waitFor(() => controls.includes("up-to-date"), 15_000, "refetched")
    expect(controls[0]).toBe("must-refetch")
    expect(rowsOf(resumed.shape)).toEqual(await tableRows(db, "tasks", ws))
    resumed.abort.abort()
  })
})
