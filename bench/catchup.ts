/**
 * Issue 4: catch-up of a returning headless client after N remote updates (target ≤ 300 ms
 * for 10,000), bytes transferred against the size of the missing updates (target ≤ 1.1×),
 * and a new device's initial sync. The peer figure is the physical floor measured in the same
 * run: one raw HTTP pull of the same backlog with no engine, no store and no Loro import.
 *
 * Run: node --import tsx bench/catchup.ts [backlog=10000] [runs=3]
 */
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { HeadlessClient } from "@vibestack/headless"
import { createProject, createTask } from "@vibestack/schema"
import { freePort, startTestPg } from "@vibestack/server/src/test/pg.js"
import { fmt, median, table } from "@vibestack/server/src/test/stats.js"
import { HttpTransport, type WebSocketCtor } from "@vibestack/shared"
import { LoroDoc, type LoroMap } from "loro-crdt"
import WebSocket from "ws"
import { startServerProcess } from "./lib/serverProcess.js"

const [backlog = 10_000, runs = 3] = process.argv.slice(2).map(Number)

const db = await startTestPg()
const server = await startServerProcess(db.url, await freePort(), { VIBESTACK_PROJECTION_ENABLED: "false" })
const dirs: Array<string> = []
const dir = () => {
  const d = mkdtempSync(join(tmpdir(), "vibestack-catchup-"))
  dirs.push(d)
  return d
}

/** Counts bytes of every response body the client reads, and which routes it used. */
let received = 0
const routes = new Map<string, number>()
const countingFetch: typeof fetch = async (input, init) => {
  const res = await fetch(input, init)
  const body = new Uint8Array(await res.arrayBuffer())
  received += body.length
  const route = new URL(String(input instanceof Request ? input.url : input)).pathname.split("/").at(-1) ?? "?"
  routes.set(route, (routes.get(route) ?? 0) + 1)
  return new Response(body, { status: res.status, headers: res.headers })
}

const counted = () =>
  new HttpTransport({ baseUrl: server.url, WebSocket: WebSocket as unknown as WebSocketCtor, fetch: countingFetch })

try {
  const rows: Array<Array<string>> = []
  for (let run = 0; run < runs; run++) {
    const writer = await HeadlessClient.create(server.url, "catchup", { dir: dir(), fsync: false })
    await writer.waitIdle()
    const readerDir = dir()
    const reader = await HeadlessClient.open(server.url, writer.workspaceId, writer.token, {
      dir: readerDir,
      fsync: false,
      transport: counted(),
    })
    await reader.waitIdle()
    await reader.close()

    // The backlog: small edits pushed directly (a remote device's outbox draining).
    const doc = new LoroDoc()
    let missingBytes = 0
    for (let i = 0; i < backlog; i++) {
      const vv = doc.oplogVersion()
      // Tasks through the schema's helpers: the server accepts only the workspace layout.
      if (i === 0) createProject(doc, { id: "p", name: "Catch-up", color: "#3b82f6" })
      createTask(doc, { id: `t${i}`, projectId: "p", title: `task ${i}`, position: { after: null, before: null } })
      doc.commit()
      const bytes = doc.export({ mode: "update", from: vv })
      missingBytes += bytes.length
      // In order per device: await each (the server refuses updates whose dependencies it lacks).
      await fetch(`${server.url}/api/v1/workspaces/${writer.workspaceId}/docs/main/updates`, {
        method: "POST",
        headers: {
          authorization: `Bearer ${writer.token}`,
          "content-type": "application/octet-stream",
          "idempotency-key": `r${run}-${i}`,
        },
        body: bytes,
      })
    }

    received = 0
    routes.clear()
    const started = performance.now()
    const back = await HeadlessClient.resume(writer.workspaceId, { dir: readerDir, fsync: false, transport: counted() })
    await back.waitIdle()
    const catchupMs = performance.now() - started
    const catchupBytes = received
    // A figure only counts if the client really caught up: its document holds every remote edit.
    const tasks = back.doc.getMap("tasks")
    if (
      tasks.size !== backlog ||
      JSON.stringify((tasks.get(`t${backlog - 1}`) as LoroMap | undefined)?.toJSON()) !==
        JSON.stringify((doc.getMap("tasks").get(`t${backlog - 1}`) as LoroMap).toJSON())
    )
      throw new Error(`the resumed client did not catch up: ${tasks.size} of ${backlog} tasks`)
    console.log(`run ${run + 1}: catch-up requests by route ${JSON.stringify(Object.fromEntries(routes))}`)

    const raw0 = performance.now()
    let after = 0
    for (let page = 0; page < 1000; page++) {
      const res = await fetch(
        `${server.url}/api/v1/workspaces/${writer.workspaceId}/docs/main/updates?after=${after}&limit=10000`,
        { headers: { authorization: `Bearer ${writer.token}` } },
      )
      await res.arrayBuffer()
      after = Number(res.headers.get("x-vibestack-cursor"))
      if (res.headers.get("x-vibestack-more") !== "1") break
    }
    const rawMs = performance.now() - raw0

    received = 0
    const fresh0 = performance.now()
    const fresh = await HeadlessClient.open(server.url, writer.workspaceId, writer.token, {
      dir: dir(),
      fsync: false,
      transport: counted(),
    })
    await fresh.waitIdle()
    const freshMs = performance.now() - fresh0
    rows.push([
      String(run + 1),
      fmt(catchupMs, 0),
      fmt(catchupBytes / missingBytes, 2),
      fmt(rawMs, 0),
      fmt(freshMs, 0),
      String(received),
    ])
    for (const c of [writer, back, fresh]) await c.close()
  }
  console.log(`\ncatch-up after ${backlog.toLocaleString("en")} remote updates (headless client, real server)\n`)
  console.log(
    table(["run", "catch-up ms", "bytes / missing", "raw pull ms (floor)", "new device ms", "new device bytes"], rows),
  )
  const m = (i: number) => median(rows.map((r) => Number(r[i])))
  console.log(
    `\nmedians: catch-up ${fmt(m(1), 0)} ms (target ≤ 300), bytes ratio ${fmt(m(2), 2)}× (target ≤ 1.1), ` +
      `${fmt(m(1) / m(3), 1)}× the raw pull`,
  )
} finally {
  await server.stop()
  await db.dispose()
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
}
