/**
 * Issue 2: push acknowledgement latency and sustained acknowledged pushes/s over many
 * workspaces, with durable commits (synchronous_commit on, the default). The peer is the
 * physical floor measured in the same run: one plain INSERT + COMMIT per push over `pg`.
 *
 * Run: node --import tsx bench/push.ts [workspaces=100] [concurrency=256] [seconds=8] [runs=3]
 */
import { LoroDoc } from "loro-crdt"
import pg from "pg"
import { freePort, startTestPg } from "../apps/server/src/test/pg.js"
import { startServerProcess } from "./lib/serverProcess.js"
import { fmt, median, pct, table } from "./lib/stats.js"

const [workspaces = 100, concurrency = 256, seconds = 8, runs = 3] = process.argv.slice(2).map(Number)

const db = await startTestPg()
const server = await startServerProcess(db.url, await freePort(), {
  VIBESTACK_PROJECTION_ENABLED: process.env.VIBESTACK_PROJECTION_ENABLED ?? "true",
})

const register = () =>
  fetch(`${server.url}/api/v1/workspaces`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ name: "bench" }),
  }).then((r) => r.json() as Promise<{ workspaceId: string; masterToken: string }>)

/**
 * One writer per lane (a device pushes its own updates in order), several writers per
 * workspace: a chain of small updates, each exported from the previous version.
 */
const makeWriter = (reg: { workspaceId: string; masterToken: string }) => {
  const doc = new LoroDoc()
  let n = 0
  return {
    ...reg,
    next: () => {
      const vv = doc.oplogVersion()
      doc.getMap("tasks").set(`t${n++}`, { title: "edit", n })
      doc.commit()
      return doc.export({ mode: "update", from: vv })
    },
  }
}

const runVibeStack = async (writers: Array<ReturnType<typeof makeWriter>>) => {
  const latencies: Array<number> = []
  let done = 0
  const until = performance.now() + seconds * 1000
  let key = 0
  const lane = async (i: number) => {
    const w = writers[i]!
    while (performance.now() < until) {
      const bytes = w.next()
      const started = performance.now()
      const res = await fetch(`${server.url}/api/v1/workspaces/${w.workspaceId}/docs/main/updates`, {
        method: "POST",
        headers: {
          authorization: `Bearer ${w.masterToken}`,
          "content-type": "application/octet-stream",
          "idempotency-key": `k${key++}`,
        },
        body: bytes,
      })
      await res.arrayBuffer()
      if (res.status !== 200) throw new Error(`push failed: ${res.status}`)
      latencies.push(performance.now() - started)
      done++
    }
  }
  const t0 = performance.now()
  await Promise.all(Array.from({ length: concurrency }, (_, i) => lane(i)))
  return { rate: done / ((performance.now() - t0) / 1000), p50: pct(latencies, 0.5), p99: pct(latencies, 0.99) }
}

/** The floor: each push its own durable transaction, no HTTP, no validation, no batching. */
const runPlainInsert = async () => {
  const pool = new pg.Pool({ connectionString: db.url, max: 20 })
  await pool.query("create table if not exists bench_plain (id bigserial primary key, ws text, bytes bytea)")
  const latencies: Array<number> = []
  let done = 0
  const payload = Buffer.alloc(120, 7)
  const until = performance.now() + seconds * 1000
  const t0 = performance.now()
  await Promise.all(
    Array.from({ length: concurrency }, async (_, i) => {
      while (performance.now() < until) {
        const started = performance.now()
        await pool.query("insert into bench_plain (ws, bytes) values ($1, $2)", [`w${i % workspaces}`, payload])
        latencies.push(performance.now() - started)
        done++
      }
    }),
  )
  const rate = done / ((performance.now() - t0) / 1000)
  await pool.end()
  return { rate, p50: pct(latencies, 0.5), p99: pct(latencies, 0.99) }
}

try {
  const spaces = await Promise.all(Array.from({ length: workspaces }, register))
  const writers = Array.from({ length: concurrency }, (_, i) => makeWriter(spaces[i % workspaces]!))
  const ours: Array<Awaited<ReturnType<typeof runVibeStack>>> = []
  const plain: Array<Awaited<ReturnType<typeof runPlainInsert>>> = []
  for (let r = 0; r < runs; r++) {
    ours.push(await runVibeStack(writers))
    plain.push(await runPlainInsert())
  }
  const row = (name: string, xs: Array<{ rate: number; p50: number; p99: number }>) => [
    name,
    fmt(median(xs.map((x) => x.rate)), 0),
    fmt(median(xs.map((x) => x.p50)), 2),
    fmt(median(xs.map((x) => x.p99)), 2),
  ]
  console.log(
    `\npushes over ${workspaces} workspaces, ${concurrency} in flight, ${seconds} s × ${runs} runs (medians of runs)\n`,
  )
  console.log(
    table(
      ["system", "acked pushes/s", "ack p50 ms", "ack p99 ms"],
      [
        row("VibeStack HTTP push (validated, group commit, durable)", ours),
        row("plain INSERT+COMMIT per push (pg, durable)", plain),
      ],
    ),
  )
  const ratio = median(ours.map((x) => x.rate)) / median(plain.map((x) => x.rate))
  console.log(`\nratio VibeStack / plain INSERT throughput: ${fmt(ratio, 2)}×  (target: ≥ 5,000 pushes/s)`)
} finally {
  await server.stop()
  await db.dispose()
}
