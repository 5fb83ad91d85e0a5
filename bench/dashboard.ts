/**
 * Draws docs/grafana/vibestack-dashboard.json from a real run (no Grafana here): starts
 * `vibestack serve` against its own Postgres, scrapes /metrics every 2 s while a workload runs,
 * then evaluates every panel's queries over the scrapes (bench/dashboard/promql.ts) and writes
 * docs/dashboard.svg. The workload: 20 workspaces taking HTTP pushes and snapshot reads, 20
 * live subscribers, a 20,000-task workspace seeded through the CLI path (its projection runs in
 * the heavy lane), backups, a few 404s, and one incident: the LISTEN connection killed for 10 s.
 * Run: node --import tsx bench/dashboard.ts [minutes=3]; `--render` draws the last run's scrapes again.
 */

import { mkdtempSync, readFileSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { seedOverHttp } from "@vibestack/server/src/cli/commands/seed.js"
import { api, updateChain } from "@vibestack/server/src/test/http.js"
import { subscribed } from "@vibestack/server/src/test/liveClient.js"
import { freePort, startTestPg } from "@vibestack/server/src/test/pg.js"
import { spawnServer } from "@vibestack/server/src/test/serverProcess.js"
import pg from "pg"
import { parseExposition, type Scrape } from "./dashboard/promql.js"
import { renderDashboard } from "./dashboard/renderSvg.js"

const renderOnly = process.argv[2] === "--render"
const minutes = renderOnly ? 0 : Number(process.argv[2] ?? 3)
const saved = join(tmpdir(), "vibestack-dashboard-scrapes.json")
const docs = join(import.meta.dirname, "../docs")
const dashboard = JSON.parse(readFileSync(join(docs, "grafana/vibestack-dashboard.json"), "utf8"))
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

const scrapes: Array<Scrape> = renderOnly ? revive(JSON.parse(readFileSync(saved, "utf8"))) : await run()
writeFileSync(saved, JSON.stringify(scrapes.map((x) => ({ t: x.t, values: [...x.values] }))))

function revive(
  raw: Array<{ t: number; values: Array<[string, { name: string; labels: Record<string, string>; value: number }]> }>,
) {
  return raw.map((x) => ({ t: x.t, values: new Map(x.values) }))
}

async function run(): Promise<Array<Scrape>> {
  const db = await startTestPg()
  const port = await freePort()
  const server = await spawnServer(
    { DATABASE_URL: db.url, VIBESTACK_DATA_DIR: mkdtempSync(join(tmpdir(), "vibestack-dash-")) },
    port,
  )
  const http = api(server.url)
  const scrapes: Array<Scrape> = []
  let running = true
  const scraper = (async () => {
    while (running) {
      const t = Date.now()
      scrapes.push(parseExposition(await (await fetch(`${server.url}/metrics`)).text(), t))
      await sleep(Math.max(0, 2000 - (Date.now() - t)))
    }
  })()

  try {
    const workspaces = await Promise.all(Array.from({ length: 20 }, (_, i) => http.register(`dash-${i}`)))
    const sockets = await Promise.all(workspaces.map((w) => subscribed(server.url, w.workspaceId, w.masterToken)))
    const chains = workspaces.map(() => updateChain(2000))
    const end = Date.now() + minutes * 60_000
    let n = 0
    const pushes = (async () => {
      while (Date.now() < end) {
        const k = n++ % workspaces.length
        const w = workspaces[k]!
        const seq = Math.floor(n / workspaces.length) % 2000
        await Promise.all([
          http.push(w.workspaceId, w.masterToken, chains[k]![seq]!, `d-${n}`),
          n % 10 === 0
            ? http.call("GET", `/api/v1/workspaces/${w.workspaceId}/docs/main/snapshot`, { token: w.masterToken })
            : undefined,
          n % 50 === 0 ? http.call("GET", "/api/v1/no-such-route") : undefined,
          n % 400 === 0
            ? http.call("POST", `/api/v1/workspaces/${w.workspaceId}/backups`, { token: w.masterToken })
            : undefined,
        ])
        await sleep(30)
      }
    })()
    await sleep(20_000)
    console.error("seeding 20,000 tasks")
    await seedOverHttp({ url: server.url, tasks: 20_000, projects: 8, seed: 3 })
    await sleep(20_000)
    console.error("incident: LISTEN connection killed for 10 s")
    const admin = new pg.Client({ connectionString: db.url })
    await admin.connect()
    const until = Date.now() + 10_000
    while (Date.now() < until) {
      await admin.query(
        "select pg_terminate_backend(pid) from pg_stat_activity where application_name = 'vibestack-listen'",
      )
      await sleep(300)
    }
    await admin.end()
    await pushes
    await sleep(10_000)
    for (const s of sockets) s.socket.close()
  } finally {
    running = false
    await scraper
    server.child.kill("SIGTERM")
    await server.exited
    await db.dispose()
  }
  return scrapes
}

const caption = `a real run on ${new Date().toISOString().slice(0, 10)}: ${scrapes.length} scrapes over ${(
  (scrapes.at(-1)!.t - scrapes[0]!.t) / 60_000
).toFixed(1)} min (bench/dashboard.ts)`
writeFileSync(join(docs, "dashboard.svg"), renderDashboard(dashboard, scrapes, caption))
console.log(`wrote docs/dashboard.svg (${caption})`)
process.exit(0)
