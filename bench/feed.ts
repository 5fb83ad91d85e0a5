/**
 * Change feed benchmark: row committed → ShapeStream subscriber receives it (p50/p99) beside a
 * plain LISTEN/NOTIFY listener as the floor; initial sync rate of a 100,000-row shape beside
 * a plain SQL read of the same rows; live throughput in row changes/s. Starts its own Postgres
 * and server. Run: node --import tsx bench/feed.ts [rows=100000] [liveChanges=20000]
 * Prints a table; timings never gate tests.
 */
import { Shape, ShapeStream } from "@electric-sql/client"
import { connect, registerWorkspace, startFeedServer } from "../apps/server/src/feed/test/feedServer.js"
import { startTestPg } from "../apps/server/src/test/pg.js"

const ROWS = Number(process.argv[2] ?? 100_000)
const LIVE = Number(process.argv[3] ?? 20_000)
const LATENCY_SAMPLES = 300

const pct = (xs: Array<number>, p: number) =>
  xs.slice().sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))]!
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

const pgServer = await startTestPg()
const srv = await startFeedServer(pgServer)
const db = await connect(pgServer.url)
const aborts: Array<AbortController> = []
const follow = (token: string) => {
  const abort = new AbortController()
  aborts.push(abort)
  const stream = new ShapeStream({
    url: `${srv.url}/api/v1/shape`,
    params: { table: "tasks" },
    headers: { Authorization: `Bearer ${token}` },
    signal: abort.signal,
  })
  return { stream, shape: new Shape(stream as never) }
}
const insertSql = (ws: string, from: number, n: number) =>
  db.query(
    `insert into tasks (workspace_id, id, project_id, title, description, status, priority, sort_key, created_at, updated_at)
     select $1, 't' || g, 'p1', 'task ' || g, 'a description of some length', 'todo', 'none', lpad(g::text, 8, '0'), now(), now()
     from generate_series($2::int, $3::int) g`,
    [ws, from, from + n - 1],
  )
const rows: Array<[string, string, string]> = []

// 1. Latency: one row per transaction, 15 ms apart; NOTIFY in the same transaction is the floor.
{
  const { workspaceId: ws, masterToken } = await registerWorkspace(srv.url, "latency")
  const { stream, shape } = follow(masterToken)
  await shape.rows
  const sent = new Map<string, number>()
  const viaShape: Array<number> = []
  const viaNotify: Array<number> = []
  stream.subscribe((msgs) => {
    const now = performance.now()
    for (const m of msgs) if ("key" in m) viaShape.push(now - sent.get(String((m.value as { id: string }).id))!)
  })
  const listener = await connect(pgServer.url)
  await listener.query("listen bench")
  listener.on("notification", (n) => viaNotify.push(performance.now() - sent.get(n.payload!)!))
  for (let i = 0; i < LATENCY_SAMPLES; i++) {
    const id = `l${i}`
    await db.query("begin")
    await db.query(
      `insert into tasks (workspace_id, id, project_id, title, description, status, priority, sort_key, created_at, updated_at)
       values ($1, $2, 'p1', 'x', '', 'todo', 'none', 'a', now(), now())`,
      [ws, id],
    )
    await db.query("select pg_notify('bench', $1)", [id])
    sent.set(id, performance.now())
    await db.query("commit")
    await sleep(15)
  }
  while (viaShape.length < LATENCY_SAMPLES) await sleep(20)
  await listener.end()
  rows.push([
    "commit → ShapeStream subscriber p50 / p99",
    `${pct(viaShape, 0.5).toFixed(1)} / ${pct(viaShape, 0.99).toFixed(1)} ms`,
    "p99 ≤ 100 ms",
  ])
  rows.push([
    "commit → LISTEN/NOTIFY listener p50 / p99 (floor)",
    `${pct(viaNotify, 0.5).toFixed(1)} / ${pct(viaNotify, 0.99).toFixed(1)} ms`,
    "",
  ])
}

// 2. Initial sync of a ROWS-row shape vs a plain SQL read of the same rows.
{
  const { workspaceId: ws, masterToken } = await registerWorkspace(srv.url, "initial")
  for (let i = 1; i <= ROWS; i += 10_000) await insertSql(ws, i, Math.min(10_000, ROWS - i + 1))
  // Measure the sync, not the consumer catching up with the bulk load.
  for (;;) {
    const r = await db.query("select count(*)::int as n from change_log where workspace_id = $1", [ws])
    if (r.rows[0].n >= ROWS) break
    await sleep(200)
  }
  const t0 = performance.now()
  const plain = await db.query("select * from tasks where workspace_id = $1", [ws])
  const sqlMs = performance.now() - t0
  // The server alone: the snapshot pages over HTTP, parsed as plain JSON.
  const t2 = performance.now()
  let fetched = 0
  let q = "offset=-1"
  for (;;) {
    const res = await fetch(`${srv.url}/api/v1/shape?table=tasks&${q}`, {
      headers: { authorization: `Bearer ${masterToken}` },
    })
    fetched += ((await res.json()) as Array<unknown>).length
    const offset = res.headers.get("electric-offset")!
    if (!offset.startsWith("0_")) break
    q = `offset=${offset}&handle=${res.headers.get("electric-handle")}`
  }
  const rawMs = performance.now() - t2
  if (fetched !== ROWS) throw new Error(`raw fetch got ${fetched}`)
  const t1 = performance.now()
  const { shape } = follow(masterToken)
  const got = await shape.rows
  const shapeMs = performance.now() - t1
  if (got.length !== ROWS || plain.rows.length !== ROWS) throw new Error(`expected ${ROWS} rows, got ${got.length}`)
  rows.push([
    `initial sync of ${ROWS} rows (ShapeStream)`,
    `${Math.round(ROWS / (shapeMs / 1000))} rows/s (${shapeMs.toFixed(0)} ms)`,
    "≥ 100,000 rows/s",
  ])
  rows.push([
    `  of which the server (raw HTTP pages, JSON.parse)`,
    `${Math.round(ROWS / (rawMs / 1000))} rows/s (${rawMs.toFixed(0)} ms)`,
    "",
  ])
  rows.push([
    `plain SQL read of the same rows (pg)`,
    `${Math.round(ROWS / (sqlMs / 1000))} rows/s (${sqlMs.toFixed(0)} ms)`,
    "",
  ])
}

// 3. Live throughput: LIVE inserts in transactions of 500 rows while a subscriber follows.
{
  const { workspaceId: ws, masterToken } = await registerWorkspace(srv.url, "live")
  const { stream, shape } = follow(masterToken)
  await shape.rows
  let seen = 0
  stream.subscribe((msgs) => {
    for (const m of msgs) if ("key" in m) seen++
  })
  const t0 = performance.now()
  for (let i = 1; i <= LIVE; i += 500) await insertSql(ws, i, Math.min(500, LIVE - i + 1))
  const writeMs = performance.now() - t0
  while (seen < LIVE) await sleep(5)
  const ms = performance.now() - t0
  rows.push([
    `live: ${LIVE} row changes, written → all received`,
    `${Math.round(LIVE / (ms / 1000))} changes/s (${ms.toFixed(0)} ms; writes took ${writeMs.toFixed(0)} ms)`,
    "≥ 10,000 changes/s",
  ])
}

for (const a of aborts) a.abort()
const w = [Math.max(...rows.map((r) => r[0].length)), Math.max(...rows.map((r) => r[1].length))]
console.log(`\n${"measure".padEnd(w[0]!)}  ${"result".padEnd(w[1]!)}  target`)
for (const [a, b, c] of rows) console.log(`${a.padEnd(w[0]!)}  ${b.padEnd(w[1]!)}  ${c}`)
await db.end()
await srv.stop()
await pgServer.dispose()
process.exit(0)
