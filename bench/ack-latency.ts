/**
 * Issue 14: the latency of ONE push on an idle server, stage by stage, beside its floor in the
 * same run. A writer pushes one real workspace edit over the live socket and waits for its
 * PushAck (closed loop, a pause between pushes, so nothing queues); a second socket subscribed
 * to the document times the same edit's arrival (edit → other client). The floor: one plain
 * INSERT + COMMIT (synchronous_commit on) over one `pg` connection to the same Postgres, and a
 * `select 1` round trip. Where the rest goes: the server's own per-stage histograms
 * (`vibestack_push_stage_seconds`), and the CPU time per push of the server and of Postgres.
 *
 * Run: node --import tsx bench/ack-latency.ts [pushes=300] [pauseMs=20]
 */
import { createProject, createTask, updateTask } from "@vibestack/schema"
import { freePort, startTestPg } from "@vibestack/server/src/test/pg.js"
import { fmt, pct, table } from "@vibestack/server/src/test/stats.js"
import { encodeFrame } from "@vibestack/shared"
import { LoroDoc } from "loro-crdt"
import pg from "pg"
import WebSocket from "ws"
import { cpuSeconds, postgresCpuSeconds } from "./lib/cpuTime.js"
import { startServerProcess } from "./lib/serverProcess.js"

const [pushes = 300, pauseMs = 20] = process.argv.slice(2).map(Number)
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

const db = await startTestPg()
const server = await startServerProcess(db.url, await freePort(), {
  VIBESTACK_PROJECTION_ENABLED: process.env.VIBESTACK_PROJECTION_ENABLED ?? "true",
})

/** An authenticated live socket; binary frames go to `onUpdate`, text answers to `onText`. */
const open = async (workspaceId: string, token: string) => {
  const s = new WebSocket(`${server.url.replace(/^http/, "ws")}/api/v1/workspaces/${workspaceId}/live`)
  const texts: Array<{ _tag: string; requestId?: number }> = []
  const handlers = { onText: (_: { _tag: string; requestId?: number }) => {}, onUpdate: () => {} }
  s.on("message", (data, isBinary) => {
    if (isBinary) return handlers.onUpdate()
    const m = JSON.parse(String(data)) as { _tag: string; requestId?: number }
    texts.push(m)
    handlers.onText(m)
  })
  await new Promise<void>((resolve, reject) => {
    s.once("open", () => resolve())
    s.once("error", reject)
  })
  const next = (tag: string) =>
    new Promise<void>((resolve) => {
      const check = () => (texts.some((t) => t._tag === tag) ? resolve() : setTimeout(check, 5))
      check()
    })
  s.send(JSON.stringify({ _tag: "Auth", token, protocolVersion: 1 }))
  await next("AuthOk")
  s.send(JSON.stringify({ _tag: "Subscribe", docId: "main" }))
  await next("Subscribed")
  return { socket: s, handlers }
}

try {
  const space = (await fetch(`${server.url}/api/v1/workspaces`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ name: "bench" }),
  }).then((r) => r.json())) as { workspaceId: string; masterToken: string }
  const doc = new LoroDoc()
  const updates: Array<Uint8Array> = []
  let taskId = ""
  for (let i = 0; i < pushes + 20; i++) {
    const vv = doc.oplogVersion()
    if (i === 0)
      taskId = createTask(doc, { projectId: createProject(doc, { name: "B", color: "#4f7cff" }).id, title: "t" }).id
    else updateTask(doc, taskId, { title: `edit ${i}` })
    doc.commit()
    updates.push(doc.export({ mode: "update", from: vv }))
  }
  const writer = await open(space.workspaceId, space.masterToken)
  const reader = await open(space.workspaceId, space.masterToken)
  const ack: Array<number> = []
  const fan: Array<number> = []
  let cpu0 = { server: 0, pg: 0 }
  for (let i = 0; i < updates.length; i++) {
    const t0 = performance.now()
    const acked = new Promise<number>((resolve, reject) => {
      writer.handlers.onText = (m) => {
        if (m._tag === "PushAck" && m.requestId === i) resolve(performance.now() - t0)
        else if (m._tag === "PushRejected") reject(new Error(JSON.stringify(m)))
      }
    })
    const received = new Promise<number>((resolve) => {
      reader.handlers.onUpdate = () => resolve(performance.now() - t0)
    })
    writer.socket.send(encodeFrame({ _tag: "Push", docId: "main", requestId: i, idempotencyKey: `k${i}` }, updates[i]!))
    const [a, f] = await Promise.all([acked, received])
    // The first 20 warm up (worker, JIT, connections).
    if (i === 19) cpu0 = { server: cpuSeconds(server.child.pid!), pg: postgresCpuSeconds(db.port) }
    if (i >= 20) {
      ack.push(a)
      fan.push(f)
    }
    await sleep(pauseMs)
  }
  const cpu = {
    server: ((cpuSeconds(server.child.pid!) - cpu0.server) / ack.length) * 1000,
    pg: ((postgresCpuSeconds(db.port) - cpu0.pg) / ack.length) * 1000,
  }
  writer.socket.close()
  reader.socket.close()

  const client = new pg.Client({ connectionString: db.url })
  await client.connect()
  await client.query("create table if not exists bench_plain (id bigserial primary key, ws text, bytes bytea)")
  const payload = Buffer.from(updates[1]!)
  const insert: Array<number> = []
  const roundTrip: Array<number> = []
  for (let i = 0; i < pushes + 20; i++) {
    let t0 = performance.now()
    await client.query("insert into bench_plain (ws, bytes) values ($1, $2)", ["w", payload])
    if (i >= 20) insert.push(performance.now() - t0)
    t0 = performance.now()
    await client.query("select 1")
    if (i >= 20) roundTrip.push(performance.now() - t0)
    await sleep(pauseMs)
  }
  await client.end()

  const row = (name: string, xs: Array<number>) => [name, fmt(pct(xs, 0.5), 2), fmt(pct(xs, 0.99), 2)]
  console.log(`\none push at a time, ${pushes} pushes, ${pauseMs} ms apart (after 20 warm-up pushes)\n`)
  console.log(
    table(
      ["what", "p50 ms", "p99 ms"],
      [
        row("VibeStack push → PushAck (live socket, validated, durable)", ack),
        row("VibeStack push → the other socket has the Update", fan),
        row("floor: INSERT + COMMIT, one pg connection (durable)", insert),
        row("floor: select 1 round trip", roundTrip),
      ],
    ),
  )
  console.log(`\nack p50 ÷ INSERT+COMMIT p50: ${fmt(pct(ack, 0.5) / pct(insert, 0.5), 2)}×`)
  console.log(
    `CPU per push (user + system, /proc): server ${fmt(cpu.server, 3)} ms (worker threads included), Postgres ${fmt(cpu.pg, 3)} ms`,
  )
  // The server's own stage histograms: mean per push over this run.
  const metrics = await (await fetch(`${server.url}/metrics`)).text()
  const stages: Array<Array<string>> = []
  for (const m of metrics.matchAll(/^vibestack_push_stage_seconds_sum\{stage="([^"]+)"\} (\S+)$/gm)) {
    const count = Number(
      new RegExp(`^vibestack_push_stage_seconds_count\\{stage="${m[1]}"\\} (\\S+)$`, "m").exec(metrics)?.[1],
    )
    stages.push([m[1]!, fmt((Number(m[2]) / count) * 1000, 3)])
  }
  // Inside the commit stage: the committer's statement alone (its append call, taken off the queue).
  const batchSum = /^vibestack_push_batch_seconds_sum (\S+)$/m.exec(metrics)?.[1]
  const batchCount = /^vibestack_push_batch_seconds_count (\S+)$/m.exec(metrics)?.[1]
  if (batchSum !== undefined && batchCount !== undefined)
    stages.push(["  commit: the append statement alone", fmt((Number(batchSum) / Number(batchCount)) * 1000, 3)])
  if (stages.length > 0) console.log(`\n${table(["server stage (mean over the run)", "ms"], stages)}`)
} finally {
  await server.stop()
  await db.dispose()
}
