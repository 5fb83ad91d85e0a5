/**
 * Change feed benchmark (issue #16). The server runs as its own process (`vibestack serve`);
 * the Electric clients run here. Each figure is printed beside a floor measured in the same
 * run: LISTEN/NOTIFY for latency, a plain SELECT and the Electric client alone (fed by a
 * static server) for the initial sync, the writers' own rate and Postgres decoding the same
 * WAL alone for live throughput.
 *   1. commit → ShapeStream subscriber, 1 shape and 100 concurrent shapes (each its own
 *      `where`, one woken per commit; and 100 whole-table shapes, all woken per commit)
 *   2. initial sync of a ROWS-row shape, and of a `where` keeping 10 % of a 10×ROWS table:
 *      through ShapeStream, and the server alone read by raw HTTP (with JSON.parse, and as
 *      bytes only: what the server serves per second, no client parsing)
 *   3. live changes/s to one shape, and to a `where` keeping 10 %
 * Run: node --import tsx bench/feed.ts [rows=100000] [liveChanges=100000] [latency,initial,live]
 * (FEED_WRITERS=n: live writers, 2 by default).
 * Timings never gate tests.
 */
import { execFileSync, spawn } from "node:child_process"
import { mkdtempSync, readFileSync, rmSync } from "node:fs"
import { createServer } from "node:http"
import { loadavg, tmpdir } from "node:os"
import { join } from "node:path"
import { Shape, ShapeStream } from "@electric-sql/client"
import { connect, registerWorkspace } from "@vibestack/server/src/feed/test/feedServer.js"
import { freePort, startTestPg } from "@vibestack/server/src/test/pg.js"
import { spawnServer } from "@vibestack/server/src/test/serverProcess.js"

const ROWS = Number(process.argv[2] ?? 100_000)
/**
 * Live changes per run. A sustained rate: 20,000 changes last about a second, and the
 * consumer's warm-up (compiling its hot paths, the first batches) was half of that.
 */
const LIVE = Number(process.argv[3] ?? 100_000)
/** Connections inserting the live changes, 1,000 rows per transaction each. */
const WRITERS = Number(process.env.FEED_WRITERS ?? 2)
/** Which parts to run: latency, initial, live (default all). */
const PARTS = new Set((process.argv[4] ?? "latency,initial,live").split(","))
const SAMPLES = 300

const pct = (xs: Array<number>, p: number) =>
  xs.slice().sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))] ?? Number.NaN
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const load = () =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(" / ")
const rate = (n: number, ms: number) => `${Math.round(n / (ms / 1000)).toLocaleString("en")}/s (${ms.toFixed(0)} ms)`
const ms = (xs: Array<number>) => `${pct(xs, 0.5).toFixed(1)} / ${pct(xs, 0.99).toFixed(1)} ms`

const loadAtStart = load()
const pgServer = await startTestPg()
const dataDir = mkdtempSync(join(tmpdir(), "vibestack-bench-feed-"))
const server = await spawnServer(
  {
    DATABASE_URL: pgServer.url,
    VIBESTACK_JWT_SECRET: "bench-secret-that-is-long-enough-for-hs256",
    VIBESTACK_DATA_DIR: dataDir,
    VIBESTACK_NODE_ID: "bench",
  },
  await freePort(),
)
const url = server.url
/** The latency floor: bench/feedFloor.ts relays the commits' NOTIFYs to long-polls, doing no feed work. */
const floorServer = await (async () => {
  const port = await freePort()
  const child = spawn(
    process.execPath,
    ["--import", "tsx", join(import.meta.dirname, "feedFloor.ts"), pgServer.url, String(port)],
    {
      stdio: ["ignore", "pipe", "inherit"],
    },
  )
  await new Promise((r) => child.stdout!.once("data", r))
  return { child, url: `http://127.0.0.1:${port}` }
})()
const db = await connect(pgServer.url)
const aborts: Array<AbortController> = []
const out: Array<[string, string, string]> = []

const follow = (origin: string, token: string, params: Record<string, unknown> = {}) => {
  const abort = new AbortController()
  aborts.push(abort)
  const stream = new ShapeStream({
    url: `${origin}/api/v1/shape`,
    params: { table: "tasks", ...params } as never,
    headers: { Authorization: `Bearer ${token}` },
    signal: abort.signal,
  })
  return { stream, shape: new Shape(stream as never), abort }
}
/** Rows n … n + count − 1, project p<n mod projects>. */
const insertRows = (ws: string, from: number, count: number, projects = 1) =>
  db.query(
    `insert into tasks (workspace_id, id, project_id, title, description, status, priority, sort_key, created_at, updated_at)
     select $1, 't' || g, 'p' || (g % $4), 'task ' || g, 'a description of some length', 'todo', 'none', lpad(g::text, 8, '0'), now(), now()
     from generate_series($2::int, $3::int) g`,
    [ws, from, from + count - 1, projects],
  )
const caughtUp = async (ws: string, n: number) => {
  for (;;) {
    const r = await db.query("select coalesce(sum(n), 0)::int as n from change_groups where workspace_id = $1", [ws])
    if (r.rows[0].n >= n) return
    await sleep(200)
  }
}
const insertOne = (ws: string, id: string, project = "p0") =>
  db.query(
    `insert into tasks (workspace_id, id, project_id, title, description, status, priority, sort_key, created_at, updated_at)
     values ($1, $2, $3, 'x', '', 'todo', 'none', 'a', now(), now())`,
    [ws, id, project],
  )

/**
 * CPU milliseconds (user + system) a Postgres backend has used so far, from /proc: the feed
 * writer's session (what storing change_log costs Postgres) and the slot's walsender
 * (decoding). CPU time, unlike wall time, barely moves with the machine's load.
 */
const TICK_MS = 1000 / Number(execFileSync("getconf", ["CLK_TCK"]).toString().trim())
const backendCpuMs = async () => {
  const r = await db.query<{ writer: number | null; sender: number | null }>(
    `select (select pid from pg_stat_activity where application_name = 'vibestack-feed' limit 1) as writer,
            (select active_pid from pg_replication_slots where slot_name = 'vibestack_feed') as sender`,
  )
  const cpu = (pid: number | null) => {
    if (!pid) return Number.NaN
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ")
    return (Number(fields[11]) + Number(fields[12])) * TICK_MS
  }
  return { writer: cpu(r.rows[0]!.writer), sender: cpu(r.rows[0]!.sender) }
}

// 1. Latency: one row per transaction; a NOTIFY in the same transaction is the floor.
const latency = async (label: string, shapes: number, perShapeWhere: boolean, gapMs: number, origin = url) => {
  const { workspaceId: ws, masterToken } = await registerWorkspace(url, label)
  const sent = new Map<string, number>()
  const viaShape: Array<number> = []
  const followers = Array.from({ length: shapes }, (_, i) =>
    follow(origin, masterToken, perShapeWhere ? { where: "project_id = $1", params: [`p${i}`] } : {}),
  )
  await Promise.all(followers.map((f) => f.shape.rows))
  for (const f of followers)
    f.stream.subscribe((msgs) => {
      const now = performance.now()
      for (const m of msgs) if ("key" in m) viaShape.push(now - sent.get(String((m.value as { id: string }).id))!)
    })
  const viaNotify: Array<number> = []
  const listener = await connect(pgServer.url)
  await listener.query("listen bench")
  listener.on("notification", (n) => viaNotify.push(performance.now() - sent.get(n.payload!.split("|")[0]!)!))
  const samples = Math.min(SAMPLES, perShapeWhere || shapes === 1 ? SAMPLES : 150)
  for (let i = 0; i < samples; i++) {
    const id = `${label}-${i}`
    await db.query("begin")
    await insertOne(ws, id, `p${i % shapes}`)
    await db.query("select pg_notify('bench', $1)", [`${id}|p${i % shapes}`])
    sent.set(id, performance.now())
    await db.query("commit")
    await sleep(gapMs)
  }
  const expected = perShapeWhere ? samples : samples * shapes
  const deadline = Date.now() + 30_000
  while (viaShape.length < expected && Date.now() < deadline) await sleep(20)
  await listener.end()
  for (const f of followers) f.abort.abort()
  return { viaShape, viaNotify, missing: expected - viaShape.length }
}
for (const [label, shapes, perShape, gap] of PARTS.has("latency")
  ? ([
      ["1 shape", 1, false, 15],
      ["100 shapes, each its own where (one woken per commit)", 100, true, 15],
      ["100 whole-table shapes (all woken per commit)", 100, false, 40],
    ] as const)
  : []) {
  const r = await latency(label.split(" ")[0]!, shapes, perShape, gap)
  const bare = await latency(`floor-${label.split(" ")[0]!}`, shapes, perShape, gap, floorServer.url)
  out.push([
    `commit → ShapeStream p50 / p99: ${label}`,
    ms(r.viaShape) + (r.missing ? ` (${r.missing} missing)` : ""),
    "≤ 20 / ≤ 100 ms",
  ])
  out.push(["  floor: commit → LISTEN/NOTIFY p50 / p99", ms(r.viaNotify), ""])
  out.push([
    "  floor: commit → NOTIFY relayed to the same ShapeStreams by a bare HTTP server",
    ms(bare.viaShape) + (bare.missing ? ` (${bare.missing} missing)` : ""),
    "",
  ])
}

// 2. Initial sync.
type Page = { body: string; headers: Record<string, string> }
/** A snapshot's pages fetched one after another (raw HTTP, JSON.parse), and their bodies. */
const rawPages = async (origin: string, token: string, params: string) => {
  const pages: Array<Page> = []
  let q = "offset=-1"
  let rows = 0
  for (;;) {
    const res = await fetch(`${origin}/api/v1/shape?table=tasks&${params}${q}`, {
      headers: { authorization: `Bearer ${token}` },
    })
    const body = await res.text()
    rows += (JSON.parse(body) as Array<unknown>).length
    const headers = Object.fromEntries(res.headers)
    pages.push({ body, headers })
    if (!headers["electric-offset"]!.startsWith("0_")) return { pages, rows }
    q = `offset=${headers["electric-offset"]}&handle=${headers["electric-handle"]}`
  }
}
const INSERT = Buffer.from('"operation":"insert"')
/**
 * The same pages read as bytes only (raw HTTP, no JSON.parse, no Electric client): what the
 * server itself serves per second. Rows are counted by their insert headers.
 */
const rawBytes = async (origin: string, token: string, params: string) => {
  let q = "offset=-1"
  let rows = 0
  for (;;) {
    const res = await fetch(`${origin}/api/v1/shape?table=tasks&${params}${q}`, {
      headers: { authorization: `Bearer ${token}` },
    })
    const body = Buffer.from(await res.arrayBuffer())
    for (let i = body.indexOf(INSERT); i >= 0; i = body.indexOf(INSERT, i + INSERT.length)) rows++
    const offset = res.headers.get("electric-offset")!
    if (!offset.startsWith("0_")) return rows
    q = `offset=${offset}&handle=${res.headers.get("electric-handle")}`
  }
}
/** A server that does no work: it hands out pages recorded from ours, then up-to-date. */
const staticPages = async (pages: Array<Page>) => {
  const last = pages[pages.length - 1]!.headers
  const srv = createServer((req, res) => {
    const q = new URL(req.url!, "http://x").searchParams
    const offset = q.get("offset")!
    const page = offset === "-1" ? pages[0] : offset.startsWith("0_") ? pages[Number(offset.slice(2))] : undefined
    const base = { "content-type": "application/json", "electric-cursor": String(Date.now()) }
    if (page) {
      res.writeHead(200, { ...page.headers, ...base }).end(page.body)
      return
    }
    if (q.get("live") === "true") {
      req.on("close", () => res.destroy())
      return
    }
    res
      .writeHead(200, {
        ...base,
        "electric-handle": last["electric-handle"]!,
        "electric-offset": offset,
        "electric-schema": last["electric-schema"]!,
        "electric-up-to-date": "",
      })
      .end(`[{"headers":{"control":"up-to-date"}}]`)
  }).listen(0, "127.0.0.1")
  await new Promise((r) => srv.once("listening", r))
  return {
    origin: `http://127.0.0.1:${(srv.address() as { port: number }).port}`,
    close: () => {
      srv.close()
      srv.closeAllConnections()
    },
  }
}
/** The Electric client following a shape to its first up-to-date: rows and milliseconds. */
const shapeStream = async (origin: string, token: string, params: Record<string, unknown>) => {
  const t = performance.now()
  const f = follow(origin, token, params)
  const rows = (await f.shape.rows).length
  const elapsed = performance.now() - t
  f.abort.abort()
  return { rows, elapsed }
}
const REPEAT = 3
const median = (xs: Array<number>) => pct(xs, 0.5)
/** Runs `f` REPEAT times: the median milliseconds, and the row counts seen. */
const repeat = async (f: () => Promise<{ rows: number; elapsed: number }>) => {
  const runs: Array<{ rows: number; elapsed: number }> = []
  for (let i = 0; i < REPEAT; i++) runs.push(await f())
  return { elapsed: median(runs.map((r) => r.elapsed)), rows: runs.map((r) => r.rows) }
}
const timed = async (f: () => Promise<number>) => {
  const t = performance.now()
  const rows = await f()
  return { rows, elapsed: performance.now() - t }
}
const initialSync = async (
  label: string,
  tableRows: number,
  projects: number,
  params: Record<string, unknown>,
  paramsQuery: string,
  expected: number,
) => {
  const { workspaceId: ws, masterToken } = await registerWorkspace(url, label)
  for (let i = 1; i <= tableRows; i += 10_000) await insertRows(ws, i, Math.min(10_000, tableRows - i + 1), projects)
  await caughtUp(ws, tableRows)
  const project = projects === 1 ? "p0" : "p3"
  const select = await repeat(() =>
    timed(
      async () =>
        (await db.query("select * from tasks where workspace_id = $1 and project_id = $2", [ws, project])).rows.length,
    ),
  )
  // The workspace id is ours (base64url): safe to write into the COPY statement.
  const copy = await repeat(() =>
    timed(async () => {
      const text = execFileSync(
        "psql",
        [
          pgServer.url,
          "-XqAt",
          "-c",
          `copy (select * from tasks where workspace_id = '${ws}' and project_id = '${project}') to stdout`,
        ],
        { maxBuffer: 1 << 30 },
      )
      let n = 0
      for (let i = text.indexOf(10); i >= 0; i = text.indexOf(10, i + 1)) n++
      return n
    }),
  )
  const recorded = await rawPages(url, masterToken, paramsQuery)
  const raw = await repeat(() => timed(async () => (await rawPages(url, masterToken, paramsQuery)).rows))
  const bytes = await repeat(() => timed(() => rawBytes(url, masterToken, paramsQuery)))
  const fixed = await staticPages(recorded.pages)
  const rawFloor = await repeat(() => timed(async () => (await rawPages(fixed.origin, "x", paramsQuery)).rows))
  const bytesFloor = await repeat(() => timed(() => rawBytes(fixed.origin, "x", paramsQuery)))
  const clientFloor = await repeat(() => shapeStream(fixed.origin, "x", params))
  fixed.close()
  const shape = await repeat(() => shapeStream(url, masterToken, params))
  const counts = [
    ...select.rows,
    ...copy.rows,
    ...raw.rows,
    ...rawFloor.rows,
    ...bytes.rows,
    ...bytesFloor.rows,
    ...clientFloor.rows,
    ...shape.rows,
  ]
  if (counts.some((n) => n !== expected))
    throw new Error(`${label}: expected ${expected} rows, got ${counts.join(" / ")}`)
  const vs = (a: number, b: number) => `${(b / a).toFixed(2)}× the floor`
  out.push([
    `initial sync, ${label}: ShapeStream (median of ${REPEAT})`,
    rate(expected, shape.elapsed),
    "≥ 100,000 rows/s",
  ])
  out.push([
    "  floor: the Electric client alone (same pages from a static server)",
    `${rate(expected, clientFloor.elapsed)}; ShapeStream ${vs(shape.elapsed, clientFloor.elapsed)}`,
    "",
  ])
  out.push([
    `  the server alone (${recorded.pages.length} pages, raw HTTP + JSON.parse, one after another)`,
    rate(expected, raw.elapsed),
    "≥ 100,000 rows/s",
  ])
  out.push([
    "  floor: the same pages from a static server (raw HTTP + JSON.parse)",
    `${rate(expected, rawFloor.elapsed)}; server ${vs(raw.elapsed, rawFloor.elapsed)}`,
    "",
  ])
  out.push([
    "  the server alone, bytes only (raw HTTP, no JSON.parse, no Electric client)",
    rate(expected, bytes.elapsed),
    "≥ 100,000 rows/s",
  ])
  out.push([
    "  floor: the same pages from a static server, bytes only",
    `${rate(expected, bytesFloor.elapsed)}; server ${vs(bytes.elapsed, bytesFloor.elapsed)}`,
    "",
  ])
  out.push([
    "  floor: plain SELECT * of the same rows (pg)",
    `${rate(expected, select.elapsed)}; ShapeStream ${vs(shape.elapsed, select.elapsed)}`,
    "",
  ])
  out.push([
    "  floor: COPY of the same rows to psql",
    `${rate(expected, copy.elapsed)}; server (bytes only) ${vs(bytes.elapsed, copy.elapsed)}`,
    "",
  ])
}
if (PARTS.has("initial")) await initialSync(`${ROWS} rows`, ROWS, 1, {}, "", ROWS)
if (PARTS.has("initial"))
  await initialSync(
    `where keeping 10 % of ${ROWS * 10} rows`,
    ROWS * 10,
    10,
    { where: "project_id = $1", params: ["p3"] },
    `where=${encodeURIComponent("project_id = $1")}&params%5B1%5D=p3&`,
    ROWS,
  )

// 3. Live throughput: LIVE inserts in transactions of 1,000 rows, WRITERS writers.
const live = async (label: string, projects: number, params: Record<string, unknown>) => {
  const { workspaceId: ws, masterToken } = await registerWorkspace(url, label)
  const f = follow(url, masterToken, params)
  await f.shape.rows
  const expected = LIVE / projects
  let seen = 0
  let lastAt = 0
  f.stream.subscribe((msgs) => {
    for (const m of msgs) if ("key" in m) seen++
    lastAt = performance.now()
  })
  const writers = [db, ...(await Promise.all(Array.from({ length: WRITERS - 1 }, () => connect(pgServer.url))))]
  // A second slot, read after the run: how fast Postgres alone decodes the same changes.
  await db.query("select pg_create_logical_replication_slot('bench_decode', 'pgoutput')")
  const logged = (
    await db.query("select coalesce(sum(n), 0)::int as n from change_groups where workspace_id = $1", [ws])
  ).rows[0].n
  const cpu0 = await backendCpuMs()
  const t0 = performance.now()
  const batches = Array.from({ length: Math.ceil(LIVE / 1000) }, (_, i) => i * 1000 + 1)
  const write = async (c: typeof db, mine: Array<number>) => {
    for (const from of mine)
      await c.query(
        `insert into tasks (workspace_id, id, project_id, title, description, status, priority, sort_key, created_at, updated_at)
         select $1, 't' || g, 'p' || (g % $4), 'task ' || g, 'a description of some length', 'todo', 'none', lpad(g::text, 8, '0'), now(), now()
         from generate_series($2::int, $3::int) g`,
        [ws, from, Math.min(from + 999, LIVE), projects],
      )
  }
  const mine = (w: number) => batches.filter((_, i) => i % WRITERS === w)
  await Promise.all(writers.map((c, w) => write(c, mine(w))))
  const writeMs = performance.now() - t0
  const deadline = Date.now() + 120_000
  while (seen < expected && Date.now() < deadline) await sleep(5)
  const total = lastAt - t0
  await caughtUp(ws, logged + LIVE)
  const cpu1 = await backendCpuMs()
  for (const c of writers.slice(1)) await c.end()
  f.abort.abort()
  const t1 = performance.now()
  const decoded = await db.query(
    `select count(*)::int as n from pg_logical_slot_get_binary_changes('bench_decode', null, null,
       'proto_version', '1', 'publication_names', 'vibestack_feed')`,
  )
  const decodeMs = performance.now() - t1
  await db.query("select pg_drop_replication_slot('bench_decode')")
  out.push([
    `live, ${label}: changes written → all received`,
    `${rate(LIVE, total)}${seen < expected ? ` (${expected - seen} missing)` : ""}`,
    "≥ 20,000 changes/s",
  ])
  out.push([
    "  the writers' own rate in this run (rows committed/s; they share the machine with the feed)",
    `${rate(LIVE, writeMs)}; the feed kept ${(writeMs / total).toFixed(2)}× of it`,
    "",
  ])
  out.push([
    `  floor: Postgres decoding the same WAL alone (${decoded.rows[0].n} pgoutput messages)`,
    rate(LIVE, decodeMs),
    "",
  ])
  out.push(["  the feed's lag after the last commit", `${(total - writeMs).toFixed(0)} ms`, ""])
  const perChange = (ms: number) => `${ms.toFixed(0)} ms CPU, ${((ms * 1000) / LIVE).toFixed(1)} µs/change`
  out.push(["  Postgres storing change_log (the feed writer's backend)", perChange(cpu1.writer - cpu0.writer), ""])
  out.push(["  Postgres decoding for the feed (the slot's walsender)", perChange(cpu1.sender - cpu0.sender), ""])
}
/**
 * The feed's own throughput, whatever the writers' speed: LIVE rows committed in one
 * transaction, from the commit's return to the follower's last change.
 */
const burst = async (label: string, projects: number, params: Record<string, unknown>) => {
  const { workspaceId: ws, masterToken } = await registerWorkspace(url, label)
  const f = follow(url, masterToken, params)
  await f.shape.rows
  const expected = LIVE / projects
  let seen = 0
  let lastAt = 0
  f.stream.subscribe((msgs) => {
    for (const m of msgs) if ("key" in m) seen++
    lastAt = performance.now()
  })
  await insertRows(ws, 1, LIVE, projects)
  const committed = performance.now()
  const deadline = Date.now() + 120_000
  while (seen < expected && Date.now() < deadline) await sleep(5)
  f.abort.abort()
  out.push([
    `live, ${label}, one transaction of ${LIVE.toLocaleString("en")} rows: commit → all received`,
    `${rate(LIVE, lastAt - committed)}${seen < expected ? ` (${expected - seen} missing)` : ""}`,
    "≥ 20,000 changes/s",
  ])
}
/**
 * The earlier parts wrote 1.1 million rows to tasks and change_log (change_groups): their checkpoint and
 * autovacuum would otherwise run during the live part and slow its writers (to about half).
 */
const settle = async () => {
  await db.query("checkpoint")
  await db.query("vacuum analyze tasks, change_groups")
}
if (PARTS.has("live")) {
  await settle()
  await live("one shape", 1, {})
  await burst("one shape", 1, {})
  await live("where keeping 10 %", 10, { where: "project_id = $1", params: ["p3"] })
  await burst("where keeping 10 %", 10, { where: "project_id = $1", params: ["p3"] })
}

for (const a of aborts) a.abort()
const w = [Math.max(...out.map((r) => r[0].length)), Math.max(...out.map((r) => r[1].length))]
console.log(`\nNode ${process.version}, load average (1/5/15 min) ${loadAtStart} at start, ${load()} at end`)
console.log(`${"measure".padEnd(w[0]!)}  ${"result".padEnd(w[1]!)}  target`)
for (const [a, b, c] of out) console.log(`${a.padEnd(w[0]!)}  ${b.padEnd(w[1]!)}  ${c}`)
await db.end()
floorServer.child.kill("SIGTERM")
server.child.kill("SIGTERM")
await server.exited
await pgServer.dispose()
rmSync(dataDir, { recursive: true, force: true })
process.exit(0)
