import { type Message, type Row, Shape, ShapeStream } from "@electric-sql/client"
import { Effect } from "effect"
import type pg from "pg"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { startTestPg, type TestPg } from "../test/pg.js"
import { connect, type FeedServer, registerWorkspace, shapeRows, startFeedServer, waitFor } from "./test/feedServer.js"

interface Task {
  id: string
  title?: string
  status?: string
  assignee_id?: string | null
  due_date?: string | null
}

const rowsOf = (shape: Shape) => new Map(shape.currentRows.map((r) => [String(r.id), r as Record<string, unknown>]))

/** Subsets of a table with the unmodified Electric client: where, params, columns (rules W9–W11). */
describe("shapes with where, params and columns (Electric client)", () => {
  let pgServer: TestPg
  let srv: FeedServer
  let db: pg.Client
  const aborts: Array<AbortController> = []

  const insert = (ws: string, t: Task) =>
    db.query(
      `insert into tasks (workspace_id, id, project_id, title, description, status, priority, assignee_id, due_date, sort_key, created_at, updated_at)
       values ($1, $2, 'p1', $3, '', $4, 'none', $5, $6, 'a', now(), now())`,
      [ws, t.id, t.title ?? t.id, t.status ?? "todo", t.assignee_id ?? null, t.due_date ?? null],
    )
  const follow = (
    token: string,
    params: Record<string, unknown>,
    resume: { offset?: string; handle?: string } = {},
  ) => {
    const abort = new AbortController()
    aborts.push(abort)
    const stream = new ShapeStream({
      url: `${srv.url}/api/v1/shape`,
      params: { table: "tasks", ...params } as never,
      headers: { Authorization: `Bearer ${token}` },
      signal: abort.signal,
      ...(resume.offset ? { offset: resume.offset as never, handle: resume.handle } : {}),
    })
    const messages: Array<Message<Row>> = []
    stream.subscribe((ms) => {
      messages.push(...ms)
    })
    return { stream, shape: new Shape(stream as never), abort, messages }
  }
  const changes = (messages: ReadonlyArray<Message<Row>>) =>
    messages.flatMap((m) => ("key" in m ? [`${m.headers.operation}:${String((m.value as { id: string }).id)}`] : []))

  beforeAll(async () => {
    pgServer = await startTestPg()
    srv = await startFeedServer(pgServer, { nodeId: "w1" })
    db = await connect(pgServer.url)
  }, 60_000)
  afterAll(async () => {
    for (const a of aborts) a.abort()
    await db?.end()
    await srv?.stop()
    await pgServer?.dispose()
  })

  it("[W10] where + params: the initial sync and every live change hold exactly the matching rows", async () => {
    const { workspaceId: ws, masterToken } = await registerWorkspace(srv.url, "Where")
    const other = await registerWorkspace(srv.url, "Other")
    await insert(ws, { id: "a", status: "todo", assignee_id: "ann" })
    await insert(ws, { id: "b", status: "todo", assignee_id: null })
    await insert(ws, { id: "c", status: "done", assignee_id: "ann" })
    await insert(ws, { id: "d", status: "todo", assignee_id: "bob" })
    await insert(other.workspaceId, { id: "x", status: "todo", assignee_id: "ann" })
    const shape = { where: "status = $1 and (assignee_id = $2 or assignee_id is null)", params: ["todo", "ann"] }
    const f = follow(masterToken, shape)
    await f.shape.rows
    expect([...rowsOf(f.shape).keys()].sort()).toEqual(["a", "b"])
    expect(rowsOf(f.shape)).toEqual(await shapeRows(db, "tasks", ws, shape))

    await insert(ws, { id: "e", status: "todo", assignee_id: "ann" })
    await insert(ws, { id: "f", status: "done", assignee_id: null })
    await db.query("update tasks set title = 'renamed' where workspace_id = $1 and id = 'a'", [ws])
    await db.query("delete from tasks where workspace_id = $1 and id = 'b'", [ws])
    await insert(other.workspaceId, { id: "y", status: "todo", assignee_id: "ann" })
    await waitFor(
      async () =>
        JSON.stringify([...rowsOf(f.shape)].sort()) ===
        JSON.stringify([...(await shapeRows(db, "tasks", ws, shape))].sort()),
    )
    expect(rowsOf(f.shape).get("a")?.title).toBe("renamed")
    expect(changes(f.messages)).not.toContain("insert:f")
    expect(JSON.stringify(f.messages)).not.toMatch(/"(x|y)"/)

    // The JSON form of params names the same shape.
    const viaJson = await fetch(
      `${srv.url}/api/v1/shape?table=tasks&offset=-1&where=${encodeURIComponent(shape.where)}&params=${encodeURIComponent(JSON.stringify(shape.params))}`,
      { headers: { authorization: `Bearer ${masterToken}` } },
    )
    expect(viaJson.status).toBe(200)
    const ids = ((await viaJson.json()) as Array<{ value: { id: string } }>).map((m) => m.value.id).sort()
    expect(ids).toEqual([...rowsOf(f.shape).keys()].sort())
  })

  it("[W10] columns: only the selected columns arrive; an update of other columns sends nothing", async () => {
    const { workspaceId: ws, masterToken } = await registerWorkspace(srv.url, "Columns")
    await insert(ws, { id: "a", title: "one", status: "todo" })
    const columns = ["workspace_id", "id", "title"]
    const f = follow(masterToken, { columns })
    await f.shape.rows
    expect(f.shape.currentRows).toEqual([{ workspace_id: ws, id: "a", title: "one" }])
    await db.query("update tasks set status = 'done' where workspace_id = $1 and id = 'a'", [ws])
    await db.query("update tasks set title = 'two' where workspace_id = $1 and id = 'a'", [ws])
    await insert(ws, { id: "b", title: "three" })
    await waitFor(() => f.shape.currentRows.length === 2 && rowsOf(f.shape).get("a")?.title === "two")
    expect(rowsOf(f.shape)).toEqual(await shapeRows(db, "tasks", ws, { columns }))
    // The status update sent nothing; the title update carried the key and the title only.
    expect(changes(f.messages)).toEqual(["insert:a", "update:a", "insert:b"])
    const update = f.messages.find((m) => "key" in m && m.headers.operation === "update") as { value: object }
    expect(update.value).toEqual({ workspace_id: ws, id: "a", title: "two" })
  })

  it("[W10] rows moving into a where arrive as inserts (whole row), rows moving out as deletes", async () => {
    const { workspaceId: ws, masterToken } = await registerWorkspace(srv.url, "Moves")
    await insert(ws, { id: "in", status: "todo" })
    await insert(ws, { id: "out", status: "done", due_date: "2024-05-01" })
    await insert(ws, { id: "never", status: "done" })
    const f = follow(masterToken, { where: "status = 'todo'" })
    await f.shape.rows
    f.messages.length = 0
    await db.query("update tasks set status = 'done' where workspace_id = $1 and id = 'in'", [ws])
    await db.query("update tasks set status = 'todo' where workspace_id = $1 and id = 'out'", [ws])
    await db.query("update tasks set title = 'x' where workspace_id = $1 and id = 'never'", [ws])
    await db.query("delete from tasks where workspace_id = $1 and id = 'never'", [ws])
    await db.query("update tasks set title = 'still in' where workspace_id = $1 and id = 'out'", [ws])
    await waitFor(() => rowsOf(f.shape).get("out")?.title === "still in")
    expect(changes(f.messages)).toEqual(["delete:in", "insert:out", "update:out"])
    const moved = f.messages.find((m) => "key" in m && m.headers.operation === "insert") as {
      value: Record<string, unknown>
    }
    // The insert carries every column, the ones the update did not touch included.
    expect(moved.value.due_date).toBe("2024-05-01")
    expect(rowsOf(f.shape)).toEqual(await shapeRows(db, "tasks", ws, { where: "status = 'todo'" }))
  })

  it("[W4][W10] a where-shape resumes from its saved offset and handle across a server restart", async () => {
    const { workspaceId: ws, masterToken } = await registerWorkspace(srv.url, "Resume")
    await insert(ws, { id: "a", status: "todo" })
    await insert(ws, { id: "b", status: "done" })
    const shape = { where: "status in ($1, $2)", params: ["todo", "doing"] }
    const f = follow(masterToken, shape)
    await f.shape.rows
    const offset = f.stream.lastOffset
    const handle = f.stream.shapeHandle!
    // Open long-polls hold a stopping server for their full timeout (see docs/FEED.md, limits).
    for (const a of aborts) a.abort()
    await srv.stop()
    await db.query("update tasks set status = 'doing' where workspace_id = $1 and id = 'b'", [ws])
    await db.query("update tasks set status = 'done' where workspace_id = $1 and id = 'a'", [ws])
    srv = await startFeedServer(pgServer, { nodeId: "w2" })
    const resumed = follow(masterToken, shape, { offset, handle })
    await waitFor(() => changes(resumed.messages).length >= 2, 20_000, "the changes made while the server was down")
    expect(changes(resumed.messages)).toEqual(["insert:b", "delete:a"])
    expect(resumed.stream.shapeHandle).toBe(handle)
  })

  it("[W6][W10] a where-shape older than the retained log gets 409 must-refetch and recovers", async () => {
    const { workspaceId: ws, masterToken } = await registerWorkspace(srv.url, "Trimmed")
    await insert(ws, { id: "a", status: "todo" })
    const shape = { where: "status = 'todo'" }
    const f = follow(masterToken, shape)
    await f.shape.rows
    const offset = f.stream.lastOffset
    const handle = f.stream.shapeHandle!
    f.abort.abort()
    await insert(ws, { id: "b", status: "todo" })
    await waitFor(async () => {
      const r = await db.query("select count(*)::int as n from change_log where workspace_id = $1 and row_id = 'b'", [
        ws,
      ])
      return r.rows[0].n > 0
    })
    expect(await Effect.runPromise(srv.feed.trim({ maxRows: 0 }))).toBeGreaterThan(0)
    const q = new URLSearchParams({ table: "tasks", offset, handle, where: shape.where })
    const res = await fetch(`${srv.url}/api/v1/shape?${q}`, { headers: { authorization: `Bearer ${masterToken}` } })
    expect(res.status).toBe(409)
    expect(await res.json()).toEqual([{ headers: { control: "must-refetch" } }])
    const resumed = follow(masterToken, shape, { offset, handle })
    await waitFor(() => resumed.messages.some((m) => !("key" in m) && m.headers.control === "up-to-date"))
    expect(resumed.messages[0]).toEqual({ headers: { control: "must-refetch" } })
    expect(rowsOf(resumed.shape)).toEqual(await shapeRows(db, "tasks", ws, shape))
  })

  it("[W9] every refused where, params or columns is a 400 that says why", async () => {
    const { masterToken } = await registerWorkspace(srv.url, "Refusals")
    const cases: Array<[Record<string, string>, RegExp]> = [
      [{ where: "id = 'x'; delete from tasks" }, /unexpected ';'/],
      [{ where: "id = 'x' or 1=1 --" }, /comments are not allowed/],
      [{ where: "id in (select id from tokens)" }, /subqueries are not supported/],
      [{ where: "exists (select 1 from tokens)" }, /subqueries are not supported/],
      [{ where: "lower(title) = 'x'" }, /functions are not supported in where: lower\(\)/],
      [{ where: "pg_sleep(5) is null" }, /functions are not supported/],
      [{ where: "secret = 'x'" }, /unknown column in where: secret/],
      [{ where: "title = 1" }, /cannot compare text with int/],
      [{ where: "due_date = 'not a date'" }, /invalid input syntax for type date/],
      [{ where: "created_at > 'now'" }, /depends on the time it is read/],
      [{ where: "id = $1" }, /parameter \$1 has no value/],
      [{ where: "id = $1", params: "{1:" }, /params must be JSON/],
      [{ where: "id = $1", "params[x]": "a" }, /bad parameter name params\[x\]/],
      [{ columns: "id,title" }, /columns must include the primary key/],
      [{ columns: "workspace_id,id,nope" }, /unknown column in columns: nope/],
      [{ params: '["a"]' }, /params are given without a where/],
    ]
    for (const [extra, message] of cases) {
      const q = new URLSearchParams({ table: "tasks", offset: "-1", ...extra })
      const res = await fetch(`${srv.url}/api/v1/shape?${q}`, { headers: { authorization: `Bearer ${masterToken}` } })
      const body = (await res.json()) as { error: { kind: string; message: string } }
      expect(res.status, q.toString()).toBe(400)
      expect(body.error.kind).toBe("BadRequest")
      expect(body.error.message, q.toString()).toMatch(message)
    }
    // Nothing the refused wheres tried happened.
    expect((await db.query("select count(*)::int as n from tokens")).rows[0].n).toBeGreaterThan(0)
  })
})
