/**
 * Projection job benchmark: throughput (entity changes/s), push-acknowledged → row visible
 * latency at steady load, and rebuild time of a large workspace. Starts its own Postgres and
 * server. Run: node --import tsx bench/projection.ts [rebuildTasks=100000] [throughputTasks=20000]
 * Prints medians; timings never gate tests.
 */

import { seededRandom, updateTask } from "@vibestack/schema"
import { seedOverHttp } from "@vibestack/server/src/cli/commands/seed.js"
import { connect, startProjector, waitProjected } from "@vibestack/server/src/projection/test/projectionKit.js"
import { startTestServer } from "@vibestack/server/src/test/server.js"
import { LoroDoc } from "loro-crdt"

const rebuildTasks = Number(process.argv[2] ?? 100_000)
const throughputTasks = Number(process.argv[3] ?? 20_000)
const median = (xs: Array<number>) => xs.slice().sort((a, b) => a - b)[xs.length >> 1]!
const pct = (xs: Array<number>, p: number) =>
  xs.slice().sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))]!

process.env.VIBESTACK_PROJECTION_ENABLED = "false" // the bench drives its own projectors
const server = await startTestServer({ config: { maxUpdateBytes: 1024 * 1024 } })
const db = await connect(server.pg.url)
const entities = async (ws: string) => {
  const r = await db.query(
    `select (select count(*) from tasks where workspace_id = $1) + (select count(*) from projects where workspace_id = $1)
      + (select count(*) from comments where workspace_id = $1) + (select count(*) from members where workspace_id = $1) as n`,
    [ws],
  )
  return Number(r.rows[0].n)
}
const rows: Array<[string, string, string]> = []

try {
  const manual = await startProjector(server.pg.url, {}, true)
  // 1. Throughput: replay of a seeded workspace (every entity is one change).
  const t = await seedOverHttp({ url: server.url, tasks: throughputTasks, projects: 20, seed: 1 })
  const rates: Array<number> = []
  for (let i = 0; i < 3; i++) {
    const started = performance.now()
    await manual.run((p) => p.rebuild(t.workspaceId))
    rates.push((await entities(t.workspaceId)) / ((performance.now() - started) / 1000))
  }
  // Run 1 replays the whole log (nothing was projected yet); later runs start from the snapshot it stored.
  const fmt = (r: number) => Math.round(r).toLocaleString("en")
  rows.push([
    "throughput (replay)",
    `${fmt(median(rates))} entity changes/s (runs: ${rates.map(fmt).join(", ")})`,
    "≥ 10,000/s",
  ])

  // 2. Rebuild of a large workspace.
  const big = await seedOverHttp({ url: server.url, tasks: rebuildTasks, projects: 50, seed: 2 })
  const times: Array<number> = []
  for (let i = 0; i < 3; i++) {
    const started = performance.now()
    // Run 1 is the workspace's first projection (whole log); later runs start from its snapshot.
    await manual.run((p) => p.rebuild(big.workspaceId))
    times.push((performance.now() - started) / 1000)
  }
  rows.push([
    `rebuild ${rebuildTasks.toLocaleString("en")} tasks`,
    `${median(times).toFixed(2)} s (runs: ${times.map((x) => x.toFixed(2)).join(", ")})`,
    "≤ 10 s",
  ])
  await manual.stop()

  // 3. Latency at steady load: two writers, each editing its own 500-task workspace ~25 times/s.
  const live = await startProjector(server.pg.url, { VIBESTACK_PROJECTION_SWEEP_MS: "1000" })
  const latencies: Array<number> = []
  const writer = async (seed: number) => {
    const w = await seedOverHttp({ url: server.url, tasks: 500, projects: 5, seed: 100 + seed })
    await waitProjected(db, w.workspaceId)
    const doc = new LoroDoc()
    const pulled = await fetch(`${server.url}/api/v1/workspaces/${w.workspaceId}/docs/main/snapshot`, {
      headers: { authorization: `Bearer ${w.masterToken}` },
    })
    doc.import(new Uint8Array(await pulled.arrayBuffer()))
    const ids = (await db.query("select id from tasks where workspace_id = $1 order by id", [w.workspaceId])).rows.map(
      (r) => r.id as string,
    )
    const random = seededRandom(seed)
    for (let i = 0; i < 150; i++) {
      const id = ids[Math.floor(random() * ids.length)]!
      const title = `edit ${seed}-${i}`
      const vv = doc.oplogVersion()
      updateTask(doc, id, { title })
      doc.commit()
      const res = await fetch(`${server.url}/api/v1/workspaces/${w.workspaceId}/docs/main/updates`, {
        method: "POST",
        headers: {
          authorization: `Bearer ${w.masterToken}`,
          "content-type": "application/octet-stream",
          "idempotency-key": `lat-${seed}-${i}`,
        },
        body: doc.export({ mode: "update", from: vv }),
      })
      if (res.status !== 200) throw new Error(`push ${res.status}`)
      const acked = performance.now()
      while (
        (await db.query("select title from tasks where workspace_id = $1 and id = $2", [w.workspaceId, id])).rows[0]
          ?.title !== title
      )
        await new Promise((r) => setTimeout(r, 1))
      latencies.push(performance.now() - acked)
      await new Promise((r) => setTimeout(r, 40))
    }
  }
  await Promise.all([writer(1), writer(2)])
  await live.stop()
  rows.push(["ack → row visible p50", `${median(latencies).toFixed(1)} ms`, ""])
  rows.push(["ack → row visible p99", `${pct(latencies, 0.99).toFixed(1)} ms (n=${latencies.length})`, "≤ 100 ms"])
} finally {
  console.log("\n| measure | median | target |\n| --- | --- | --- |")
  for (const [a, b, c] of rows) console.log(`| ${a} | ${b} | ${c} |`)
  await db.end()
  await server.stop()
}
