/**
 * Issue 3: push → other subscribers receive it, p50/p99 with 100 and 500 subscribers in one
 * workspace (target p99 ≤ 25 ms at 500), and server memory per idle WebSocket with 2,000 open
 * (target ≤ 20 KB). The server runs as its own process; subscribers and the writer run here.
 * The floor is a bare `ws` broadcast server in this process doing the same fan-out.
 *
 * Run: node --import tsx bench/live.ts [pushes=200] [idle=2000]
 */
import { readFileSync } from "node:fs"
import { subscribed } from "@vibestack/server/src/test/liveClient.js"
import { freePort, startTestPg } from "@vibestack/server/src/test/pg.js"
import { fmt, pct, table } from "@vibestack/server/src/test/stats.js"
import { LoroDoc } from "loro-crdt"
import WebSocket, { WebSocketServer } from "ws"
import { startServerProcess } from "./lib/serverProcess.js"

const [pushes = 200, idle = 2000] = process.argv.slice(2).map(Number)
const rssKb = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))![1])

const db = await startTestPg()
const server = await startServerProcess(db.url, await freePort(), { VIBESTACK_PROJECTION_ENABLED: "false" })
const rows: Array<Array<string>> = []

const register = async () =>
  (await fetch(`${server.url}/api/v1/workspaces`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ name: "bench" }),
  }).then((r) => r.json())) as { workspaceId: string; masterToken: string }

/** VibeStack: push over HTTP, time until every subscriber has the update frame. */
const fanOut = async (subscribers: number) => {
  const { workspaceId: ws, masterToken: token } = await register()
  const subs = []
  for (let i = 0; i < subscribers; i++) subs.push(await subscribed(server.url, ws, token))
  const doc = new LoroDoc()
  const latencies: Array<number> = []
  for (let i = 0; i < pushes; i++) {
    const vv = doc.oplogVersion()
    doc.getMap("meta").set(`k${i}`, i) // a key of the layout's `meta` map
    doc.commit()
    const bytes = doc.export({ mode: "update", from: vv })
    const started = performance.now()
    const seen = new Array<number>(subs.length)
    const arrived = Promise.all(
      subs.map(
        (s, j) =>
          new Promise<void>((resolve) => {
            const onMsg = (_: unknown, isBinary: boolean) => {
              if (!isBinary) return
              seen[j] = performance.now() - started
              s.socket.off("message", onMsg)
              resolve()
            }
            s.socket.on("message", onMsg)
          }),
      ),
    )
    const res = await fetch(`${server.url}/api/v1/workspaces/${ws}/docs/main/updates`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${token}`,
        "content-type": "application/octet-stream",
        "idempotency-key": `b${i}`,
      },
      body: bytes,
    })
    if (res.status !== 200) throw new Error(`push ${res.status}`)
    await arrived
    latencies.push(...seen)
    await new Promise((r) => setTimeout(r, 20))
  }
  for (const s of subs) s.socket.close()
  return latencies
}

/** The floor: a bare ws server broadcasting the same bytes to the same number of sockets. */
const bareFanOut = async (subscribers: number) => {
  const port = await freePort()
  const wss = new WebSocketServer({ port, host: "127.0.0.1" })
  const clients: Array<WebSocket> = []
  for (let i = 0; i < subscribers; i++) {
    const c = new WebSocket(`ws://127.0.0.1:${port}`)
    await new Promise((r) => c.once("open", r))
    clients.push(c)
  }
  const latencies: Array<number> = []
  const payload = new Uint8Array(80)
  for (let i = 0; i < pushes; i++) {
    const started = performance.now()
    const arrived = Promise.all(
      clients.map(
        (c) =>
          new Promise<void>((r) =>
            c.once("message", () => {
              latencies.push(performance.now() - started)
              r()
            }),
          ),
      ),
    )
    for (const s of wss.clients) s.send(payload)
    await arrived
    await new Promise((r) => setTimeout(r, 20))
  }
  for (const c of clients) c.close()
  await new Promise((r) => wss.close(r))
  return latencies
}

try {
  for (const n of [100, 500]) {
    const ours = await fanOut(n)
    const bare = await bareFanOut(n)
    rows.push([
      `${n} subscribers`,
      fmt(pct(ours, 0.5), 1),
      fmt(pct(ours, 0.99), 1),
      fmt(pct(bare, 0.5), 1),
      fmt(pct(bare, 0.99), 1),
      fmt(pct(ours, 0.99) / pct(bare, 0.99), 1),
    ])
  }
  console.log(`\npush → every subscriber received it (ms; ${pushes} pushes, HTTP push + commit + NOTIFY + fan-out)\n`)
  console.log(table(["workspace", "VibeStack p50", "VibeStack p99", "bare ws p50", "bare ws p99", "p99 ratio"], rows))

  // Memory per idle authenticated socket.
  const { workspaceId: ws, masterToken: token } = await register()
  const before = rssKb(server.child.pid!)
  const socks = []
  for (let i = 0; i < idle; i++) socks.push(await subscribed(server.url, ws, token))
  await new Promise((r) => setTimeout(r, 2000))
  const after = rssKb(server.child.pid!)
  console.log(
    `\nserver RSS with ${idle} idle authenticated, subscribed sockets: +${fmt((after - before) / 1024, 1)} MiB → ${fmt(((after - before) * 1024) / idle / 1024, 1)} KB per socket (target ≤ 20 KB)`,
  )
  for (const s of socks) s.socket.close()
} finally {
  await server.stop()
  await db.dispose()
}
