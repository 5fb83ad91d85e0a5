import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { type Message, type Row, Shape, ShapeStream } from "@electric-sql/client"
import type pg from "pg"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { startTestPg, type TestPg } from "../test/pg.js"
import { shapeTestHooks } from "./ShapeService.js"
import { tailShape } from "./tailShape.js"
import {
  connect,
  type FeedServer,
  insertTask,
  mintToken,
  registerWorkspace,
  startFeedServer,
  tableRows,
  waitFor,
} from "./test/feedServer.js"

describe("change feed", () => {
  let pgServer: TestPg
  let srv: FeedServer
  let db: pg.Client
  const aborts: Array<AbortController> = []
  const follow = (token: string, table = "tasks") => {
    const abort = new AbortController()
    aborts.push(abort)
    const stream = new ShapeStream({
      url: `${srv.url}/api/v1/shape`,
      params: { table },
      headers: { Authorization: `Bearer ${token}` },
      signal: abort.signal,
    })
    return { stream, shape: new Shape(stream as never), abort }
  }
  const get = (query: string, token?: string) =>
    fetch(`${srv.url}/api/v1/shape?${query}`, token ? { headers: { authorization: `Bearer ${token}` } } : {})

  beforeAll(async () => {
    pgServer = await startTestPg()
    srv = await startFeedServer(pgServer)
    db = await connect(pgServer.url)
  }, 60_000)
  afterAll(async () => {
    for (const a of aborts) a.abort()
    await db?.end()
    await srv?.stop()
    await pgServer?.dispose()
  })

  it("[W8] answers 401 without a valid token and 400 for bad parameters", async () => {
    const { workspaceId, masterToken } = await registerWorkspace(srv.url, "Params")
    const viewer = await mintToken(srv.url, workspaceId, masterToken, "viewer")
    expect((await get("table=tasks&offset=-1")).status).toBe(401)
    expect((await get("table=tasks&offset=-1", "garbage")).status).toBe(401)
    const ok = await get("table=tasks&offset=-1", viewer)
    expect(ok.status).toBe(200)
    const handle = ok.headers.get("electric-handle")!
    for (const q of [
      "table=tokens&offset=-1",
      "table=pg_class&offset=-1",
      "offset=-1",
      "table=tasks",
      "table=tasks&offset=abc",
      "table=tasks&offset=1_2",
      `table=tasks&offset=-5_1&handle=${handle}`,
      "table=tasks&offset=1_1&handle=nonsense!",
      "table=tasks&offset=-1&where=nosuchcolumn",
      "table=tasks&offset=-1&live=maybe",
      "table=tasks&offset=-1&live=true",
      "table=tasks&offset=-1&replica=full",
      "table=tasks&offset=-1&subset__where=true",
    ]) {
      const res = await get(q, viewer)
      expect(res.status, q).toBe(400)
      expect(((await res.json()) as { error: { kind: string } }).error.kind).toBe("BadRequest")
    }
    // A handle of another shape (here another table) is not an error but a stale session.
    const other = await get(`table=projects&offset=1_1&handle=${handle}`, viewer)
    expect(other.status).toBe(409)
    expect(await other.json()).toEqual([{ headers: { control: "must-refetch" } }])
  })

  it("[W4] the shape route is in the OpenAPI document, with its parameters and its 409", async () => {
    const doc = (await (await fetch(`${srv.url}/api/v1/openapi.json`)).json()) as {
      paths: Record<string, { get?: { parameters?: Array<{ name: string }>; responses: Record<string, unknown> } }>
    }
    const shape = doc.paths["/api/v1/shape"]?.get
    expect(shape).toBeDefined()
    expect(shape!.parameters!.map((p) => p.name)).toEqual(
      expect.arrayContaining(["table", "offset", "handle", "live", "where", "params", "columns"]),
    )
    expect(Object.keys(shape!.responses)).toEqual(expect.arrayContaining(["200", "400", "401", "409", "503"]))
  })

  it("[W8] a workspace's token never sees another workspace's rows", async () => {
    const a = await registerWorkspace(srv.url, "A")
    const b = await registerWorkspace(srv.url, "B")
    await insertTask(db, a.workspaceId, "secret", "A only")
    const fb = follow(b.masterToken)
    expect(await fb.shape.rows).toEqual([])
    const seen: Array<Message<Row>> = []
    fb.stream.subscribe((m) => {
      seen.push(...m)
    })
    await insertTask(db, a.workspaceId, "secret2", "A only")
    await insertTask(db, b.workspaceId, "mine", "B's")
    await waitFor(() => fb.shape.currentRows.length === 1)
    expect(fb.shape.currentRows.map((r) => r.id)).toEqual(["mine"])
    expect(JSON.stringify(seen)).not.toContain("secret")
  })

  it("[W4] feed tail prints changes and resumes from its offset file", async () => {
    const { workspaceId: ws, masterToken } = await registerWorkspace(srv.url, "Tail")
    const file = join(mkdtempSync(join(tmpdir(), "tail-")), "offset.json")
    await insertTask(db, ws, "x1", "one")
    const lines: Array<string> = []
    const tail = () =>
      tailShape({
        url: srv.url,
        table: "tasks",
        token: masterToken,
        offsetFile: file,
        once: true,
        print: (l) => lines.push(l),
      })
    await tail()
    expect(lines.map((l) => JSON.parse(l).op)).toEqual(["insert"])
    await db.query("update tasks set title = 'two' where workspace_id = $1 and id = 'x1'", [ws])
    await waitFor(async () => {
      const r = await db.query("select count(*)::int as n from change_log where workspace_id = $1", [ws])
      return r.rows[0].n === 2
    })
    await tail()
    expect(lines.slice(1).map((l) => [JSON.parse(l).op, JSON.parse(l).value.title])).toEqual([["update", "two"]])
  })

  it("[W2] redelivery after a consumer restart is deduped by offset", async () => {
    const { workspaceId: ws, masterToken } = await registerWorkspace(srv.url, "Dedupe")
    const f = follow(masterToken)
    await f.shape.rows
    const changes: Array<string> = []
    f.stream.subscribe((msgs) => {
      for (const m of msgs) if ("key" in m) changes.push(`${m.headers.operation}:${(m.value as { id: string }).id}`)
    })
    const consumer = srv.feed.consumer()!
    consumer.acking = false
    for (let i = 0; i < 20; i++) await insertTask(db, ws, `d${i}`, `x${i}`)
    await waitFor(() => changes.length === 20, 15_000, "20 changes")
    // Followers see a change when the holder receives it; wait until it is stored too.
    const stored = async () =>
      (await db.query("select count(*)::int as n from change_log where workspace_id = $1", [ws])).rows[0].n === 20
    await waitFor(stored, 15_000, "20 changes stored")
    // Restart the stream: the slot was never confirmed, so Postgres sends everything again.
    await consumer.stall()
    consumer.acking = true
    consumer.resume()
    const head = async () =>
      (
        await db.query<{ ok: boolean }>(
          `select pg_wal_lsn_diff(confirmed_flush_lsn, '0/0') > (select max(lsn) from change_log) as ok
           from pg_replication_slots where slot_name = 'vibestack_feed'`,
        )
      ).rows[0]?.ok === true
    await waitFor(head, 15_000, "redelivery confirmed")
    // Counted in this workspace's rows: the consumer's own insert counter is the whole server's,
    // and another test's workspace may be projected meanwhile (one more row in a full run).
    const logged = await db.query("select count(*)::int as n from change_log where workspace_id = $1", [ws])
    expect(logged.rows[0].n).toBe(20)
    await insertTask(db, ws, "after", "after")
    await waitFor(() => changes.length === 21, 15_000, "change after restart")
    expect(new Set(changes).size).toBe(21)
  })

  it("[W1] change_log keeps each change's values as JSON text, escaped once", async () => {
    const { workspaceId: ws } = await registerWorkspace(srv.url, "Encoding")
    const title = 'quote " backslash \\ newline \n tab \t é 😀 \u2028 {"json": [1]}'
    await insertTask(db, ws, "enc", title)
    await db.query("update tasks set title = $2, description = 'd' where workspace_id = $1 and id = 'enc'", [
      ws,
      `${title}!`,
    ])
    await waitFor(
      async () =>
        (await db.query("select count(*)::int as n from change_log where workspace_id = $1", [ws])).rows[0].n === 2,
      15_000,
      "changes stored",
    )
    const logged = await db.query<{ op: string; value: string; old: string | null }>(
      "select op, value, old from change_log where workspace_id = $1 order by lsn, pos",
      [ws],
    )
    const [insert, update] = logged.rows
    // One level of JSON: the stored text parses to the row itself, not to a string.
    expect(JSON.parse(insert!.value)).toMatchObject({ id: "enc", title })
    expect(JSON.parse(update!.value)).toMatchObject({ id: "enc", title: `${title}!`, description: "d" })
    expect(JSON.parse(update!.old!)).toEqual({ title, description: "" })
  })

  it("[W3] an initial sync applies changes its snapshot could not see (in flight, or begun after it), each row once", async () => {
    const { workspaceId: ws, masterToken } = await registerWorkspace(srv.url, "Window")
    // Enough rows for the COPY to arrive in several chunks around the rows rebuilt.
    await db.query(
      `insert into tasks (workspace_id, id, project_id, title, description, status, priority, sort_key, created_at, updated_at)
       select $1, 'f' || g, 'p1', 'filler ' || g, repeat('x', 200), 'todo', 'none', 'a', now(), now()
       from generate_series(1, 3000) g`,
      [ws],
    )
    await insertTask(db, ws, "inflight", "v0")
    await insertTask(db, ws, "later", "v0")
    const other = await connect(pgServer.url)
    const third = await connect(pgServer.url)
    try {
      // In flight while the snapshot is taken, committed before the WAL position is read.
      await other.query("begin")
      await other.query("update tasks set title = 'v1' where workspace_id = $1 and id = 'inflight'", [ws])
      shapeTestHooks.afterSnapshot = async () => {
        shapeTestHooks.afterSnapshot = undefined
        await other.query("commit")
        await third.query("update tasks set title = 'v1' where workspace_id = $1 and id = 'later'", [ws])
      }
      const f = follow(masterToken)
      // The snapshot's messages, up to its first up-to-date: one insert per row.
      const keys: Array<string> = []
      let synced = false
      f.stream.subscribe((msgs) => {
        for (const m of msgs) {
          if (synced) return
          if ("key" in m) keys.push(m.key)
          else if (m.headers.control === "up-to-date") synced = true
        }
      })
      const rows = await f.shape.rows
      const titles = Object.fromEntries(rows.filter((r) => !String(r.id).startsWith("f")).map((r) => [r.id, r.title]))
      expect(titles).toEqual({ inflight: "v1", later: "v1" })
      expect(keys.length).toBe(3002)
      expect(new Set(keys).size).toBe(3002)
      expect(new Map(f.shape.currentRows.map((r) => [String(r.id), r]))).toEqual(await tableRows(db, "tasks", ws))
    } finally {
      shapeTestHooks.afterSnapshot = undefined
      await other.end()
      await third.end()
    }
  })

  it("[W3] concurrent writes during initial syncs: no gap, no duplicate, no row going back", async () => {
    const { workspaceId: ws, masterToken } = await registerWorkspace(srv.url, "Race")
    const ids = Array.from({ length: 10 }, (_, i) => `r${i}`)
    for (const id of ids) await insertTask(db, ws, id, "0")
    let stop = false
    let version = 0
    const writer = (async () => {
      const w = await connect(pgServer.url)
      while (!stop) {
        version++
        await w.query("update tasks set title = $2 where workspace_id = $1 and id = $3", [
          ws,
          String(version),
          ids[version % ids.length],
        ])
      }
      await w.end()
    })()
    const followers = []
    for (let i = 0; i < 6; i++) {
      const f = follow(masterToken)
      const last = new Map<string, number>()
      const violations: Array<string> = []
      f.stream.subscribe((msgs) => {
        for (const m of msgs) {
          if (!("key" in m)) continue
          const v = m.value as { id: string; title?: string }
          if (v.title === undefined) continue
          const n = Number(v.title)
          const prev = last.get(v.id) ?? -1
          // Each row's title only grows; seeing the same version twice is a duplicate.
          if (n <= prev) violations.push(`${v.id}: ${prev} then ${n}`)
          last.set(v.id, n)
        }
      })
      followers.push({ f, violations })
      await new Promise((r) => setTimeout(r, 40))
    }
    await Promise.all(followers.map(({ f }) => f.shape.rows))
    stop = true
    await writer
    const expected = await tableRows(db, "tasks", ws)
    for (const { f, violations } of followers) {
      const sorted = (rows: Array<[unknown, unknown]>) =>
        JSON.stringify(rows.sort((x, y) => String(x[0]).localeCompare(String(y[0]))))
      await waitFor(
        () => sorted([...expected]) === sorted(f.shape.currentRows.map((r) => [r.id, r])),
        15_000,
        "follower converges",
      ).catch(() => {})
      expect(violations).toEqual([])
      expect(new Map(f.shape.currentRows.map((r) => [String(r.id), r]))).toEqual(expected)
    }
  })
})
