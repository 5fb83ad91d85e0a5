/**
 * Issue 14: acknowledged durable pushes/s over many workspaces, and ack latency at half that
 * rate, on the product's two push paths (the live socket the engine uses when it is up, and HTTP,
 * its fallback), with durable commits (synchronous_commit on, the default) and the projection on.
 * The floor is measured in the same run: one plain INSERT + COMMIT per push over `pg`.
 *
 * Updates are real workspace edits made with the schema's write helpers (a project and a task,
 * then title edits), generated before the clock starts so the load generator stays cheap.
 *
 * Run: node --import tsx bench/push.ts [workspaces=100] [writers=256] [seconds=8] [runs=3]
 * Diagnose the open loop alone: PUSH_OPEN_RATE=3500 node --import tsx bench/push.ts … (prints the
 * ack p99 of each second, the CPU per push of the server and Postgres, the backlog of projection
 * and feed work at the start and end, and, per stage of the server's push path, how many pushes
 * spent over 10 / 25 / 50 / 100 ms there); PUSH_SETTLE=1 waits for the warm-up's backlog first, as the full
 * run's open loop does.
 */
import { cpus, loadavg } from "node:os"
import { monitorEventLoopDelay } from "node:perf_hooks"
import { createProject, createTask, updateTask } from "@vibestack/schema"
import { freePort, startTestPg } from "@vibestack/server/src/test/pg.js"
import { fmt, median, pct, table } from "@vibestack/server/src/test/stats.js"
import { encodeFrame } from "@vibestack/shared"
import { LoroDoc } from "loro-crdt"
import pg from "pg"
import WebSocket from "ws"
import { cpuSeconds, postgresCpuSeconds } from "./lib/cpuTime.js"
import { startServerProcess } from "./lib/serverProcess.js"

const [workspaces = 100, writers = 256, seconds = 8, runs = 3] = process.argv.slice(2).map(Number)
/** Issue #14's target: acked durable pushes/s (its latency target is at half this rate). */
const TARGET = 5_000
/** Pushes a socket writer keeps in flight (the engine's window is larger; this is per device). */
const WINDOW = 4

const projecting = process.env.VIBESTACK_PROJECTION_ENABLED !== "false"
/** PUSH_PG_STATEMENTS=1: a diagnosis also prints Postgres' statements, checkpoints and dead rows per run. */
const pgStatements = process.env.PUSH_PG_STATEMENTS === "1"
const db = await startTestPg(
  pgStatements ? { shared_preload_libraries: "pg_stat_statements", "pg_stat_statements.track": "all" } : undefined,
)
const server = await startServerProcess(db.url, await freePort(), {
  VIBESTACK_PROJECTION_ENABLED: String(projecting),
})

interface Space {
  readonly workspaceId: string
  readonly masterToken: string
}
const register = (): Promise<Space> =>
  fetch(`${server.url}/api/v1/workspaces`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ name: "bench" }),
  }).then((r) => r.json() as Promise<Space>)

/** A device's chain of edits: each update depends on the one before (same peer), none on others. */
const makeChain = (length: number): Array<Uint8Array> => {
  const doc = new LoroDoc()
  const out: Array<Uint8Array> = []
  let taskId = ""
  for (let i = 0; i < length; i++) {
    const vv = doc.oplogVersion()
    if (i === 0) {
      const p = createProject(doc, { name: "Bench", color: "#4f7cff" })
      taskId = createTask(doc, { projectId: p.id, title: "task 0" }).id
    } else updateTask(doc, taskId, { title: `edit ${i}` })
    doc.commit()
    out.push(doc.export({ mode: "update", from: vv }))
  }
  return out
}

interface Writer {
  readonly space: Space
  readonly chain: Array<Uint8Array>
  /** Next update of the chain to push (pushes go in chain order). */
  next: number
}
let runId = 0

interface Result {
  readonly rate: number
  readonly p50: number
  readonly p99: number
  readonly count: number
}

const summarize = (latencies: Array<number>, elapsedMs: number): Result => ({
  rate: latencies.length / (elapsedMs / 1000),
  p50: pct(latencies, 0.5),
  p99: pct(latencies, 0.99),
  count: latencies.length,
})

const runHttp = async (ws: ReadonlyArray<Writer>): Promise<Result> => {
  const latencies: Array<number> = []
  const run = runId++
  const until = performance.now() + seconds * 1000
  const lane = async (w: Writer) => {
    while (performance.now() < until && w.next < w.chain.length) {
      const i = w.next++
      const started = performance.now()
      const res = await fetch(`${server.url}/api/v1/workspaces/${w.space.workspaceId}/docs/main/updates`, {
        method: "POST",
        headers: {
          authorization: `Bearer ${w.space.masterToken}`,
          "content-type": "application/octet-stream",
          "idempotency-key": `r${run}-${i}-${w.chain.length}-${ws.indexOf(w)}`,
        },
        body: w.chain[i]!,
      })
      const text = await res.text()
      if (res.status !== 200) throw new Error(`push failed: ${res.status} ${text}`)
      latencies.push(performance.now() - started)
    }
  }
  const t0 = performance.now()
  await Promise.all(ws.map(lane))
  return summarize(latencies, performance.now() - t0)
}

/** One socket per writer; `rate` (pushes/s over all writers) makes it open-loop, else closed-loop with WINDOW in flight. */
const runSocket = async (
  ws: ReadonlyArray<Writer>,
  rate?: number,
  timeline?: Array<[number, number]>,
): Promise<Result> => {
  const latencies: Array<number> = []
  const run = runId++
  const sockets = await Promise.all(
    ws.map(async (w) => {
      const s = new WebSocket(`${server.url.replace(/^http/, "ws")}/api/v1/workspaces/${w.space.workspaceId}/live`)
      await new Promise<void>((resolve, reject) => {
        s.once("open", () => resolve())
        s.once("error", reject)
      })
      const authed = new Promise<void>((resolve) => s.once("message", () => resolve()))
      s.send(JSON.stringify({ _tag: "Auth", token: w.space.masterToken, protocolVersion: 1 }))
      await authed
      return s
    }),
  )
  const t0 = performance.now()
  const until = t0 + seconds * 1000
  await Promise.all(
    ws.map(
      (w, k) =>
        new Promise<void>((resolve, reject) => {
          const s = sockets[k]!
          const sent = new Map<number, number>()
          let inFlight = 0
          let stopped = false
          const send = () => {
            if (w.next >= w.chain.length || performance.now() >= until) {
              stopped = true
              if (inFlight === 0) resolve()
              return
            }
            const i = w.next++
            sent.set(i, performance.now())
            inFlight++
            s.send(
              encodeFrame(
                { _tag: "Push", docId: "main", requestId: i, idempotencyKey: `r${run}-${k}-${i}` },
                w.chain[i]!,
              ),
            )
          }
          s.on("message", (data, isBinary) => {
            if (isBinary) return
            const m = JSON.parse(String(data)) as { _tag: string; requestId?: number; error?: unknown }
            if (m._tag === "PushRejected") return reject(new Error(`push refused: ${JSON.stringify(m.error)}`))
            if (m._tag !== "PushAck" || m.requestId === undefined) return
            const at = sent.get(m.requestId)!
            latencies.push(performance.now() - at)
            timeline?.push([at - t0, performance.now() - at])
            inFlight--
            if (rate === undefined) send()
            else if (stopped && inFlight === 0) resolve()
          })
          if (rate === undefined) for (let j = 0; j < WINDOW; j++) send()
          else {
            // Open loop: this writer's share of the rate, evenly spaced, whatever the acks do.
            const every = (1000 * ws.length) / rate
            const tick = () => {
              send()
              if (!stopped) setTimeout(tick, every)
            }
            setTimeout(tick, Math.random() * every)
          }
        }),
    ),
  )
  const elapsed = performance.now() - t0
  for (const s of sockets) s.close()
  return summarize(latencies, elapsed)
}

/** The floor: each push its own durable transaction, no HTTP, no validation, no batching. */
const runPlainInsert = async (): Promise<Result> => {
  const pool = new pg.Pool({ connectionString: db.url, max: 20 })
  await pool.query("create table if not exists bench_plain (id bigserial primary key, ws text, bytes bytea)")
  const latencies: Array<number> = []
  const payload = Buffer.alloc(120, 7)
  const until = performance.now() + seconds * 1000
  const t0 = performance.now()
  await Promise.all(
    Array.from({ length: writers }, async (_, i) => {
      while (performance.now() < until) {
        const started = performance.now()
        await pool.query("insert into bench_plain (ws, bytes) values ($1, $2)", [`w${i % workspaces}`, payload])
        latencies.push(performance.now() - started)
      }
    }),
  )
  const elapsed = performance.now() - t0
  await pool.end()
  return summarize(latencies, elapsed)
}

/** The stage tails the diagnosis prints: pushes over each of these many ms in a stage. */
const TAIL_MS = [10, 25, 50, 100] as const
type StageTail = { count: number; over: Array<number>; sum: number }
const noTail = (): StageTail => ({ count: 0, over: TAIL_MS.map(() => 0), sum: 0 })

/** Per stage, the counts of observations above each of `TAIL_MS` and their sum (s), from the server's histograms. */
const stageTails = async (): Promise<Map<string, StageTail>> => {
  // Once more on a failed fetch: generating the edit chains blocks this process past the server's
  // 5 s keep-alive, so the first request after it can land on a socket the server already closed.
  const get = () => fetch(`${server.url}/metrics`).then((r) => r.text())
  const text = await get().catch(get)
  const out = new Map<string, StageTail>()
  for (const m of text.matchAll(/^vibestack_push_stage_seconds_bucket\{(?:[^}]*?)le="([^"]+)"(?:[^}]*?)\} (\S+)$/gm)) {
    const stage = /stage="([^"]+)"/.exec(m[0])?.[1] ?? "?"
    const s = out.get(stage) ?? noTail()
    const n = Number(m[2])
    if (m[1] === "+Inf") s.count = n
    // A bucket counts the pushes at or under its bound: those over it are the count minus it.
    const at = TAIL_MS.findIndex((ms) => Number(m[1]) * 1000 === ms)
    if (at >= 0) s.over[at] = -n
    out.set(stage, s)
  }
  for (const m of text.matchAll(/^vibestack_push_stage_seconds_sum\{stage="([^"]+)"\} (\S+)$/gm)) {
    const s = out.get(m[1]!)
    if (s !== undefined) s.sum = Number(m[2])
  }
  for (const s of out.values()) s.over = s.over.map((o) => o + s.count)
  return out
}

/** Projection turns so far and the documents they projected (a group turn projects several). */
const projectionTurns = async () => {
  const text = await (await fetch(`${server.url}/metrics`)).text()
  const read = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, "m").exec(text)?.[1] ?? 0)
  return {
    turns: read("vibestack_projection_group_docs_count"),
    docs: read("vibestack_projection_group_docs_sum"),
  }
}

/** The server's event-loop lag since the previous scrape (prom-client resets it on each), in ms. */
const serverLag = async () => {
  const text = await (await fetch(`${server.url}/metrics`)).text()
  const read = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, "m").exec(text)?.[1]) * 1000
  return { p99: read("nodejs_eventloop_lag_p99_seconds"), max: read("nodejs_eventloop_lag_max_seconds") }
}

/**
 * Work the server still owes for pushes it has acknowledged: updates not yet projected, and WAL
 * the change feed has not consumed. A closed-loop run leaves a backlog that the next run's
 * server works off beside its pushes.
 */
const backlog = async () => {
  const c = new pg.Client({ connectionString: db.url })
  await c.connect()
  try {
    const r = await c.query<{ projection: string; wal: string | null; sessions: string }>(
      `select (select coalesce(sum(d.last_seq - coalesce(p.projected_seq, 0)), 0) from docs d
                 left join projection_state p on p.workspace_id = d.workspace_id and p.doc_id = d.doc_id)::int8 as projection,
              (select max(pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn)) from pg_replication_slots)::int8 as wal,
              (select sum(sessions) from pg_stat_database)::int8 as sessions`,
    )
    return {
      projection: Number(r.rows[0]!.projection),
      walBytes: Number(r.rows[0]!.wal ?? 0),
      sessions: Number(r.rows[0]!.sessions),
    }
  } finally {
    await c.end()
  }
}
/** What Postgres did during a diagnosis run (PUSH_PG_STATEMENTS=1): its costliest statements, and so on. */
const pgActivity = async (phase: "start" | "end") => {
  if (!pgStatements) return
  const c = new pg.Client({ connectionString: db.url })
  await c.connect()
  try {
    if (phase === "start") {
      await c.query("create extension if not exists pg_stat_statements")
      await c.query("select pg_stat_statements_reset()")
      return
    }
    const top = await c.query<{ calls: string; total: number; mean: number; rows: string; query: string }>(
      `select calls, total_exec_time as total, mean_exec_time as mean, rows, left(regexp_replace(query, '\\s+', ' ', 'g'), 90) as query
       from pg_stat_statements order by total_exec_time desc limit 8`,
    )
    console.log(
      table(
        ["calls", "total ms", "mean ms", "rows", "statement"],
        top.rows.map((r) => [r.calls, fmt(r.total, 0), fmt(r.mean, 3), r.rows, r.query]),
      ),
    )
    const bg = await c.query(`select checkpoints_timed, checkpoints_req, buffers_checkpoint from pg_stat_bgwriter`)
    const tables = await c.query<{
      relname: string
      live: string
      dead: string
      hot: string
      upd: string
      vac: string
    }>(
      `select relname, n_live_tup as live, n_dead_tup as dead, n_tup_hot_upd as hot, n_tup_upd as upd,
              coalesce(to_char(greatest(last_autovacuum, last_vacuum), 'HH24:MI:SS'), '-') as vac
       from pg_stat_user_tables where n_tup_upd + n_tup_ins > 1000 order by n_dead_tup desc limit 6`,
    )
    console.log(`checkpoints so far: ${JSON.stringify(bg.rows[0])}`)
    for (const t of tables.rows)
      console.log(`  ${t.relname}: ${t.live} live, ${t.dead} dead, ${t.hot} of ${t.upd} updates HOT, vacuumed ${t.vac}`)
  } finally {
    await c.end()
  }
}
const describeBacklog = (b: { projection: number; walBytes: number }) =>
  `${b.projection} updates not projected, ${fmt(b.walBytes / 1024, 0)} KiB of WAL not consumed by the feed`

/**
 * Waits (up to 3 minutes) until the backlog of earlier runs is worked off and the server and
 * Postgres together used under a tenth of a core over a second (the projection's snapshots and
 * Postgres's vacuum after a burst are done); returns the seconds it took.
 */
const settle = async () => {
  const t0 = performance.now()
  const busy = () => cpuSeconds(server.child.pid!) + postgresCpuSeconds(db.port)
  while (performance.now() - t0 < 180_000) {
    const before = busy()
    await new Promise((r) => setTimeout(r, 1000))
    const b = await backlog()
    const projected = b.projection === 0 || !projecting
    if (projected && b.walBytes < 1024 * 1024 && busy() - before < 0.1) break
  }
  return (performance.now() - t0) / 1000
}

const diagnoseOpenLoop = async (all: Array<Writer>, rate: number) => {
  if (process.env.PUSH_SETTLE === "1")
    console.log(`
settled the earlier runs' backlog in ${fmt(await settle(), 1)} s`)
  const start = await backlog()
  await pgActivity("start")
  const before = await stageTails()
  const turns0 = await projectionTurns()
  const timeline: Array<[number, number]> = []
  const from = Date.now() / 1000
  // Where the machine's two cores went: the server (pool workers included), Postgres, this process.
  const cpu0 = { server: cpuSeconds(server.child.pid!), pg: postgresCpuSeconds(db.port), bench: process.cpuUsage() }
  const benchLag = monitorEventLoopDelay({ resolution: 5 })
  benchLag.enable()
  const r = await runSocket(all, rate, timeline)
  benchLag.disable()
  const lag = await serverLag()
  const after = await stageTails()
  const turns1 = await projectionTurns()
  const cpu = {
    server: cpuSeconds(server.child.pid!) - cpu0.server,
    pg: postgresCpuSeconds(db.port) - cpu0.pg,
    bench: (() => {
      const u = process.cpuUsage(cpu0.bench)
      return (u.user + u.system) / 1e6
    })(),
  }
  const elapsed = r.count / r.rate
  const perPush = (s: number) => fmt((s / r.count) * 1000, 3)
  console.log(
    `\nopen loop at ${rate}/s (epoch s ${from.toFixed(1)}–${(Date.now() / 1000).toFixed(1)}): ${fmt(r.rate, 0)} acked/s, p50 ${fmt(r.p50, 2)} ms, p99 ${fmt(r.p99, 2)} ms`,
  )
  console.log(
    `CPU per acked push: server ${perPush(cpu.server)} ms, Postgres ${perPush(cpu.pg)} ms, this load generator ${perPush(cpu.bench)} ms (cores busy ${fmt((cpu.server + cpu.pg + cpu.bench) / elapsed, 2)} of ${cpus().length}); event-loop lag: server p99 ${fmt(lag.p99, 1)} max ${fmt(lag.max, 1)} ms, load generator p99 ${fmt(benchLag.percentile(99) / 1e6, 1)} max ${fmt(benchLag.max / 1e6, 1)} ms`,
  )
  const end = await backlog()
  console.log(`backlog at the start: ${describeBacklog(start)}; at the end: ${describeBacklog(end)}`)
  // This bench's own backlog read is one session; any other is the server connecting anew.
  console.log(`Postgres sessions opened during the run: ${end.sessions - start.sessions - 1}`)
  const turns = turns1.turns - turns0.turns
  if (projecting)
    console.log(
      `projection: ${fmt(turns / elapsed, 0)} turns/s, ${turns > 0 ? fmt((turns1.docs - turns0.docs) / turns, 1) : "-"} documents per turn`,
    )
  await pgActivity("end")
  const bySecond = new Map<number, Array<number>>()
  for (const [at, ms] of timeline) {
    const k = Math.floor(at / 1000)
    const xs = bySecond.get(k)
    if (xs === undefined) bySecond.set(k, [ms])
    else xs.push(ms)
  }
  console.log(
    table(
      ["second", "pushes sent", "ack p50 ms", "ack p99 ms"],
      [...bySecond.entries()].map(([k, xs]) => [
        String(k),
        String(xs.length),
        fmt(pct(xs, 0.5), 1),
        fmt(pct(xs, 0.99), 1),
      ]),
    ),
  )
  console.log(
    table(
      ["stage", "pushes", "mean ms", ...TAIL_MS.map((ms) => `over ${ms} ms`)],
      [...after.entries()].map(([stage, a]) => {
        const b = before.get(stage) ?? noTail()
        const n = a.count - b.count
        return [
          stage,
          String(n),
          n > 0 ? fmt(((a.sum - b.sum) * 1000) / n) : "-",
          ...a.over.map((o, k) => String(o - b.over[k]!)),
        ]
      }),
    ),
  )
}

try {
  const spaces = await Promise.all(Array.from({ length: workspaces }, register))
  const openRate = Number(process.env.PUSH_OPEN_RATE ?? Number.NaN)
  // Enough edits for every run at well past the target rate (a writer that runs out stops:
  // reported). A diagnosis needs its warm-up's closed loop and its open loops only.
  const perWriter = Math.ceil(
    (Number.isFinite(openRate) ? 12_000 * seconds + 1.2 * openRate * seconds * runs : 8_000 * seconds * 3 * runs) /
      writers,
  )
  console.log(`generating ${perWriter} edits for each of ${writers} writers…`)
  const all: Array<Writer> = Array.from({ length: writers }, (_, i) => ({
    space: spaces[i % workspaces]!,
    chain: makeChain(perWriter),
    next: 0,
  }))
  if (Number.isFinite(openRate)) {
    // Warm first, as the full run is when its open loop starts (documents loaded, code compiled).
    const warm = await runSocket(all)
    console.log(`closed loop first: ${fmt(warm.rate, 0)} acked/s, p99 ${fmt(warm.p99, 1)} ms`)
    for (let r = 0; r < runs; r++) await diagnoseOpenLoop(all, openRate)
  } else await fullRun(all)
} finally {
  await server.stop()
  await db.dispose()
}

async function fullRun(all: Array<Writer>) {
  const http: Array<Result> = []
  const socket: Array<Result> = []
  const plain: Array<Result> = []
  for (let r = 0; r < runs; r++) {
    socket.push(await runSocket(all))
    http.push(await runHttp(all))
    plain.push(await runPlainInsert())
  }
  const peak = median(socket.map((x) => x.rate))
  // The open loop measures the steady state at that rate: the earlier runs' backlog (after the
  // closed loops, tens of thousands of updates to project) is worked off before each run, and
  // what is left after the last is shown.
  const half: Array<Result> = []
  const halfTarget: Array<Result> = []
  const settled: Array<number> = []
  for (let r = 0; r < runs; r++) {
    settled.push(await settle())
    half.push(await runSocket(all, peak / 2))
    settled.push(await settle())
    halfTarget.push(await runSocket(all, TARGET / 2))
  }
  const left = await backlog()
  const row = (name: string, xs: ReadonlyArray<Result>) => [
    name,
    fmt(median(xs.map((x) => x.rate)), 0),
    fmt(median(xs.map((x) => x.p50)), 2),
    fmt(median(xs.map((x) => x.p99)), 2),
  ]
  const load = loadavg().map((x) => x.toFixed(2))
  console.log(
    `\npushes over ${workspaces} workspaces, ${writers} writers, ${seconds} s × ${runs} runs (medians of runs); load average ${load.join(" / ")}\n`,
  )
  console.log(
    table(
      ["path", "acked pushes/s", "ack p50 ms", "ack p99 ms"],
      [
        row(`VibeStack live socket, ${WINDOW} in flight per writer (validated, durable)`, socket),
        row("VibeStack HTTP, one request at a time per writer", http),
        row(`VibeStack live socket, open loop at 50 % of its peak (${fmt(peak / 2, 0)}/s)`, half),
        row(`VibeStack live socket, open loop at 50 % of the target (${fmt(TARGET / 2, 0)}/s)`, halfTarget),
        row("floor: plain INSERT+COMMIT per push (pg, durable)", plain),
      ],
    ),
  )
  console.log(
    `\nbefore each open-loop run the earlier runs' backlog was worked off (${settled.map((x) => fmt(x, 1)).join(", ")} s); after the last: ${describeBacklog(left)}`,
  )
  // Where the time went, from the server's own histograms (mean over everything this run pushed).
  const metrics = await (await fetch(`${server.url}/metrics`)).text()
  const mean = (name: string) => {
    const sum = Number(/^NAME_sum (\S+)$/m.exec(metrics.replaceAll(name, "NAME"))?.[1])
    const count = Number(/^NAME_count (\S+)$/m.exec(metrics.replaceAll(name, "NAME"))?.[1])
    return count > 0 ? sum / count : Number.NaN
  }
  console.log(
    `\nserver means: push ${fmt(mean("vibestack_push_seconds") * 1000, 2)} ms, validate (per tick) ${fmt(mean("vibestack_validate_seconds") * 1000, 2)} ms, commit (per transaction) ${fmt(mean("vibestack_push_batch_seconds") * 1000, 2)} ms, pushes per transaction ${fmt(mean("vibestack_push_batch_size"), 1)}, documents per tick ${fmt(mean("vibestack_tick_docs_size"), 1)}`,
  )
  const labelled = (name: string, labels: string, suffix: string) =>
    Number(new RegExp(`^${name}_${suffix}\\{${labels}\\} (\\S+)$`, "m").exec(metrics)?.[1])
  const poolValidate = labelled("vibestack_pool_call_seconds", 'pool="push",op="Validate"', "sum")
  const poolCalls = labelled("vibestack_pool_call_seconds", 'pool="push",op="Validate"', "count")
  const loads = labelled("vibestack_pool_call_seconds", 'pool="push",op="Load"', "count")
  const refusedInvalid = Number(/^vibestack_refused_blobs_total\{reason="invalid"\} (\S+)$/m.exec(metrics)?.[1])
  console.log(
    `pool: ${fmt(poolCalls, 0)} Validate messages, mean ${fmt((poolValidate / poolCalls) * 1000, 2)} ms each; ${fmt(loads, 0)} document loads; ${fmt(refusedInvalid, 0)} refused`,
  )
  const exhausted = all.filter((w) => w.next >= w.chain.length).length
  if (exhausted > 0) console.log(`\nnote: ${exhausted} writers ran out of pre-generated edits`)
  const ratio = peak / median(plain.map((x) => x.rate))
  console.log(`\nratio VibeStack socket / plain INSERT throughput: ${fmt(ratio, 2)}×`)
  console.log(`targets (#14): ≥ ${TARGET.toLocaleString("en")} acked pushes/s; ack p99 ≤ 50 ms at 50 % of that rate`)
}
