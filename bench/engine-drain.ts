/**
 * Issue 14 (points 4–5): how long the client engine takes to drain a queue of local commits
 * (each creates one task with the schema's write helpers, as the app does)
 * (made offline, then the network comes back) into the real server, through the real
 * `HeadlessClient` (SyncEngine + HttpTransport/`ws`; local store in memory by default, or the
 * folder-backed FileLocalStore without fsync with `store=file`, whose manifest rewrite per
 * call dominates once the engine stops waiting on the network):
 *   - before: HTTP, one push per round trip, the whole outbox (bytes included) read before
 *     each push: the engine as it was (emulated with a store whose window reads everything);
 *   - HTTP one by one: the same, reading only the next entry (the fallback path today);
 *   - socket, pipelined: the product path now (up to 32 push frames in flight);
 * beside the floor: the same update bytes sent as bare push frames on one raw socket with
 * the same window (no engine, no store), and one by one (a round trip each).
 * Each variant runs on a fresh workspace of the same server; medians over `runs`.
 *
 * Run: node --import tsx bench/engine-drain.ts [commits=500] [runs=3] [store=memory|file]
 */
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { HeadlessClient } from "@vibestack/headless"
import { createProject, createTask, MAIN_DOC, type WorkspaceId } from "@vibestack/schema"
import { freePort, startTestPg } from "@vibestack/server/src/test/pg.js"
import { fmt, median, table } from "@vibestack/server/src/test/stats.js"
import {
  encodeFrame,
  HttpTransport,
  type LiveConnection,
  type LocalStore,
  PROTOCOL_VERSION,
  type Transport,
  TransportError,
  type WebSocketCtor,
} from "@vibestack/shared"
import WebSocket from "ws"
import { startServerProcess } from "./lib/serverProcess.js"

const commits = Number(process.argv[2] ?? 500)
const runs = Number(process.argv[3] ?? 3)
const storeKind = process.argv[4] === "file" ? "file" : "memory"

const db = await startTestPg()
const server = await startServerProcess(db.url, await freePort(), {
  VIBESTACK_PROJECTION_ENABLED: process.env.VIBESTACK_PROJECTION_ENABLED ?? "true",
})
const tmp = mkdtempSync(join(tmpdir(), "vibestack-drain-"))
let dirs = 0

/** A socket that never opens: the engine syncs over HTTP only (its fallback). */
class NoSocket {
  constructor() {
    throw new Error("no socket in this variant")
  }
}

type Variant = "before" | "http" | "socket"

/**
 * A network switch in front of the transport: while off, every request and socket attempt
 * fails and open sockets close (the engine's own offline signal is not enough: it retries on
 * a timer, as it should, so the commits would start draining while they are being made).
 */
const switchable = (inner: Transport) => {
  let on = true
  const sockets = new Set<LiveConnection>()
  const gate = <A>(f: () => Promise<A>): Promise<A> =>
    on ? f() : Promise.reject(new TransportError("Unavailable", "network switched off"))
  const transport: Transport = {
    register: (...a) => gate(() => inner.register(...a)),
    info: (...a) => gate(() => inner.info(...a)),
    push: (...a) => gate(() => inner.push(...a)),
    pull: (...a) => gate(() => inner.pull(...a)),
    snapshot: (...a) => gate(() => inner.snapshot(...a)),
    connectLive: (...a) =>
      gate(async () => {
        const conn = await inner.connectLive(...a)
        sockets.add(conn)
        return conn
      }),
  }
  return {
    transport,
    set: (online: boolean) => {
      on = online
      if (!online) for (const s of sockets) s.close()
      sockets.clear()
    },
  }
}

/** The store as the engine read it before: every window read loads the whole outbox. */
const wholeOutboxReads = (store: LocalStore): LocalStore => ({
  ...store,
  outboxWindow: async (ws, doc, afterId, limit) =>
    (await store.outbox(ws, doc)).filter((e) => e.id > afterId).slice(0, limit),
})

/** One engine, `commits` commits queued offline, then online: ms until the outbox is empty, and until idle. */
const drain = async (variant: Variant) => {
  const net = switchable(
    new HttpTransport({
      baseUrl: server.url,
      WebSocket: (variant === "socket" ? WebSocket : NoSocket) as unknown as WebSocketCtor,
    }),
  )
  const c = await HeadlessClient.create(server.url, "drain", {
    dir: join(tmp, `c${dirs++}`),
    fsync: false,
    store: storeKind,
    transport: net.transport,
  })
  // Edits as the app makes them (the schema's write helpers): one project, then one task per commit.
  const project = await c.edit((d) => createProject(d, { id: "p1", name: "Drain", color: "#4f7cff" }))
  await c.waitIdle(60_000)
  if (variant === "before")
    Object.assign(c.engine, { o: { ...(c.engine as never as { o: object }).o, store: wholeOutboxReads(c.store) } })
  net.set(false)
  c.engine.setOnline(false)
  let last: string | null = null
  for (let i = 0; i < commits; i++)
    await c.edit((d) => {
      const position = { after: last, before: null }
      last = createTask(d, { id: `t${i}`, projectId: "p1", title: `task ${i}`, position }).id
    })
  const updates = (await c.store.outbox(c.workspaceId, MAIN_DOC)).map((e) => e.bytes)
  const drained = new Promise<void>((resolve) => {
    const off = c.engine.subscribe((s) => {
      if (s.pending === 0 && s.state !== "offline") {
        off()
        resolve()
      }
    })
  })
  if (updates.length !== commits) throw new Error(`expected ${commits} queued commits, found ${updates.length}`)
  const t0 = performance.now()
  net.set(true)
  c.engine.setOnline(true)
  await drained
  const drainMs = performance.now() - t0
  await c.waitIdle(600_000)
  const idleMs = performance.now() - t0
  await c.close()
  return { drainMs, idleMs, updates, base: project.bytes }
}

/**
 * The floor: the same bytes as bare push frames on one raw socket, `window` in flight, into a
 * fresh workspace that first gets the same project (`base`).
 */
const bare = async (base: Uint8Array, updates: ReadonlyArray<Uint8Array>, window: number) => {
  const reg = (await fetch(`${server.url}/api/v1/workspaces`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ name: "floor" }),
  }).then((r) => r.json())) as { workspaceId: WorkspaceId; masterToken: string }
  const ws = new WebSocket(`${server.url.replace(/^http/, "ws")}/api/v1/workspaces/${reg.workspaceId}/live`)
  const answers = new Map<number, () => void>()
  let authed: () => void = () => undefined
  const ready = new Promise<void>((r) => (authed = r))
  ws.on("message", (data, isBinary) => {
    if (isBinary) return
    const m = JSON.parse(String(data)) as { _tag: string; requestId?: number; error?: unknown }
    if (m._tag === "AuthOk") authed()
    if (m._tag === "PushRejected") throw new Error(`floor push refused: ${JSON.stringify(m.error)}`)
    if (m._tag === "PushAck") {
      answers.get(m.requestId!)?.()
      answers.delete(m.requestId!)
    }
  })
  await new Promise((r) => ws.once("open", r))
  ws.send(JSON.stringify({ _tag: "Auth", token: reg.masterToken, protocolVersion: PROTOCOL_VERSION }))
  await ready
  const first = new Promise<void>((resolve) => answers.set(-1, resolve))
  ws.send(encodeFrame({ _tag: "Push", docId: MAIN_DOC, requestId: -1, idempotencyKey: "floor-base" }, base))
  await first
  const t0 = performance.now()
  const inFlight = new Set<Promise<void>>()
  for (const [i, u] of updates.entries()) {
    const p = new Promise<void>((resolve) => answers.set(i, resolve)).then(() => void inFlight.delete(p))
    inFlight.add(p)
    ws.send(encodeFrame({ _tag: "Push", docId: MAIN_DOC, requestId: i, idempotencyKey: `floor-${i}` }, u))
    if (inFlight.size >= window) await Promise.race(inFlight)
  }
  await Promise.all(inFlight)
  const ms = performance.now() - t0
  ws.close()
  return ms
}

const results = new Map<string, { drain: Array<number>; idle: Array<number> }>()
const record = (name: string, drainMs: number, idleMs = Number.NaN) => {
  const r = results.get(name) ?? { drain: [], idle: [] }
  r.drain.push(drainMs)
  r.idle.push(idleMs)
  results.set(name, r)
}

try {
  for (let run = 0; run < runs; run++) {
    const before = await drain("before")
    record("before: HTTP, whole outbox read per push", before.drainMs, before.idleMs)
    const http = await drain("http")
    record("HTTP one by one (fallback)", http.drainMs, http.idleMs)
    const socket = await drain("socket")
    record("socket, pipelined (32 in flight)", socket.drainMs, socket.idleMs)
    record("floor: bare frames, 32 in flight", await bare(socket.base, socket.updates, 32))
    record("floor: bare frames, one by one", await bare(socket.base, socket.updates, 1))
    console.error(`run ${run + 1}/${runs} done`)
  }
  const floor = median(results.get("floor: bare frames, 32 in flight")!.drain)
  console.log(
    `\nDraining ${commits} queued local commits (one task each) into the real server (durable acks), ${storeKind} store, median of ${runs}:\n`,
  )
  console.log(
    table(
      ["variant", "drained ms", "commits/s", "÷ floor (32 in flight)", "idle ms (pulled back too)"],
      [...results].map(([name, r]) => {
        const ms = median(r.drain)
        return [name, fmt(ms, 0), fmt((commits / ms) * 1000, 0), fmt(ms / floor, 2), fmt(median(r.idle), 0)]
      }),
    ),
  )
} finally {
  await server.stop()
  await db.dispose()
  rmSync(tmp, { recursive: true, force: true })
}
