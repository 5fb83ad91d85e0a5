/**
 * The four systems behind one small interface, each server in its own child process, each
 * client a raw socket speaking that system's own wire protocol (encoders from the system's own
 * packages), so the load generator costs the same for everyone and measures the server:
 *   - VibeStack: `vibestack serve` (durable commit before PushAck), live-socket push + Update frames;
 *   - Hocuspocus 3.4 (the last line that runs on Node 20) + extension-database on the same Postgres;
 *   - y-websocket: `@y/websocket-server`'s own bin (`y-websocket`), in memory by default;
 *   - loro-websocket: SimpleServer, in memory by default.
 * Every edit is the same shape: one task (eight fields, a nested map) created in `tasks`, one update per edit.
 */
import { type ChildProcess, spawn } from "node:child_process"
import { randomBytes } from "node:crypto"
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs"
import { createConnection } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import type { EventLoopUtilization } from "node:perf_hooks"
import { pathToFileURL } from "node:url"
import { HeadlessClient } from "@vibestack/headless"
import { createProject, createTask, type WorkspaceId } from "@vibestack/schema"
import { freePort } from "@vibestack/server/src/test/pg.js"
import { encodeFrame, HttpTransport, type WebSocketCtor } from "@vibestack/shared"
import * as decoding from "lib0/decoding"
import * as encoding from "lib0/encoding"
import { LoroDoc } from "loro-crdt"
import { CrdtType, MessageType as LoroMsg, decode as loroDecode, encode as loroEncode } from "loro-protocol"
import WebSocket from "ws"
import * as Y from "yjs"
import { startServerProcess } from "../lib/serverProcess.js"
import { EngineWriter } from "./engineWriter.js"
import { EngineWriters } from "./engineWriters.js"
import { PROJECT } from "./workload.js"

const here = import.meta.dirname
const root = join(here, "../..")

/** One edit's worth of CRDT: produces the update bytes each system's own client would send. */
export interface Editor {
  /** One update setting each key (one commit / one transaction). */
  next(...keys: Array<string>): Uint8Array
  /** The id the observer uses to match an update to its writer (y-websocket has no ack). */
  readonly peer: string
}
/** A client-side document that receives updates (catch-up, initial load). */
export interface Replica {
  apply(update: Uint8Array): void
  count(): number
}

/**
 * One edit = one task created in the workspace layout (packages/schema): our schema's own write
 * helper for the Loro-based systems (so VibeStack's server validates it like any app edit), and
 * the same eight fields in a nested `Y.Map` for the Yjs peers.
 */
const taskFields = (key: string, sortKey: string) => {
  const now = Date.now()
  return {
    projectId: PROJECT,
    title: `task ${key}`,
    status: "todo",
    done: false,
    priority: "none",
    sortKey,
    createdAt: now,
    updatedAt: now,
  }
}

const loroEditor = (): Editor & { doc: LoroDoc } => {
  const doc = new LoroDoc()
  let last: string | null = null
  return {
    doc,
    peer: doc.peerIdStr,
    next: (...keys) => {
      const vv = doc.oplogVersion()
      if (doc.getMap("projects").get(PROJECT) === undefined)
        createProject(doc, { id: PROJECT, name: "Bench", color: "#4f7cff" })
      for (const key of keys) {
        // The neighbour is given, so the helper does not scan the project for the last sort key.
        const t = createTask(doc, {
          id: key,
          projectId: PROJECT,
          title: `task ${key}`,
          position: { after: last, before: null },
        })
        last = t.id
      }
      doc.commit()
      return doc.export({ mode: "update", from: vv })
    },
  }
}
const loroReplica = (): Replica & { doc: LoroDoc } => {
  const doc = new LoroDoc()
  return { doc, apply: (u) => void doc.import(u), count: () => doc.getMap("tasks").size }
}
const yEditor = (): Editor & { doc: Y.Doc } => {
  const doc = new Y.Doc()
  let last: Uint8Array = new Uint8Array()
  doc.on("update", (u: Uint8Array) => (last = u))
  const map = doc.getMap("tasks")
  let n = 0
  return {
    doc,
    peer: String(doc.clientID),
    next: (...keys) => {
      doc.transact(() => {
        for (const key of keys) map.set(key, new Y.Map(Object.entries(taskFields(key, `a${n++}`))))
      })
      return last
    },
  }
}
const yReplica = (): Replica & { doc: Y.Doc } => {
  const doc = new Y.Doc()
  return { doc, apply: (u) => Y.applyUpdate(doc, u), count: () => doc.getMap("tasks").size }
}

/** A client that edits: one task per key, resolved when the server acknowledges (y-websocket: at once). */
export interface Writer {
  edit(...keys: Array<string>): Promise<void>
  /** The id the observer uses to match an update to its writer (y-websocket has no ack). */
  readonly peer: string
  close(): void
}

/** A connected client. Live updates from others arrive through `onRemote` at socket arrival. */
export interface Conn {
  /** Sends one update; resolves when the server acknowledges it (never, for y-websocket: resolves at once). */
  send(update: Uint8Array): Promise<void>
  onRemote: (update: Uint8Array, at: number) => void
  /** Bytes received on the socket since it opened. */
  bytesIn: number
  /** Set when the server reported that this client cannot be brought up to date. */
  error?: string
  close(): void
}

export interface Memory {
  rss: number
  heap: number
}

export interface System {
  readonly name: string
  /** What an acknowledgement means in this system, for the table. */
  readonly ack: string
  /** `true` when the server answers with an acknowledgement; y-websocket's protocol has none. */
  readonly acks: boolean
  start(databaseUrl: string): Promise<void>
  stop(): Promise<void>
  /** Server memory after a full GC (heap = main isolate heap + external + array buffers). */
  memory(): Promise<Memory>
  newDoc(): Promise<string>
  /** Joins `doc`; with `replica`, sends its state and applies everything received into it. */
  connect(doc: string, replica?: Replica): Promise<Conn>
  editor(): Editor
  replica(): Replica
  /** A client that edits `doc` the way that system's own clients do. */
  writer(doc: string): Promise<Writer>
  /**
   * The same, in the bench's own thread, where `writer` runs elsewhere (scenario 1 times one
   * writer's edits from this thread: a hop to a writer thread would be timed as the system's).
   */
  soloWriter?(doc: string): Promise<Writer>
  /** Where writers run in threads of their own: their event-loop utilisation since `since`. */
  writerLoad?(since?: ReadonlyArray<EventLoopUtilization>): Array<EventLoopUtilization> | undefined
  /**
   * A client that syncs `doc` and goes offline; `resume` (after the remote edits) reconnects it
   * and resolves once it holds `expected` tasks.
   */
  offlineClient(doc: string): Promise<{ resume(expected: number): Promise<{ ms: number; bytes: number }> }>
  /** A brand-new client loading `doc` until it holds `expected` tasks. */
  newClient(doc: string, expected: number): Promise<{ ms: number; bytes: number }>
}

/** A peer's writer: its own editor's update bytes sent on a raw protocol socket. */
const rawWriter = async (sys: { connect(doc: string): Promise<Conn>; editor(): Editor }, doc: string) => {
  const conn = await sys.connect(doc)
  const ed = sys.editor()
  return { peer: ed.peer, edit: (...keys: Array<string>) => conn.send(ed.next(...keys)), close: () => conn.close() }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const until = async (pred: () => boolean, what: string, timeoutMs = 300_000) => {
  const deadline = Date.now() + timeoutMs
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await sleep(2)
  }
}
const toBytes = (data: WebSocket.RawData): Uint8Array =>
  Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : new Uint8Array(data)

const waitPort = async (port: number, child: ChildProcess, log: () => string) => {
  const deadline = Date.now() + 60_000
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited early:\n${log()}`)
    const ok = await new Promise<boolean>((resolve) => {
      const s = createConnection({ port, host: "127.0.0.1" })
      s.once("connect", () => {
        s.destroy()
        resolve(true)
      })
      s.once("error", () => resolve(false))
    })
    if (ok) return
    if (Date.now() > deadline) throw new Error(`server did not listen:\n${log()}`)
    await sleep(100)
  }
}

/** Env that preloads the memory probe (same for our server and the peers). */
const probeEnv = (memFile: string) => ({
  NODE_OPTIONS: `--expose-gc --import ${pathToFileURL(join(here, "memProbe.mjs")).href}`,
  BENCH_MEM_FILE: memFile,
})
const readMemory = async (pid: number, memFile: string): Promise<Memory> => {
  rmSync(memFile, { force: true })
  process.kill(pid, "SIGUSR2")
  await until(() => existsSync(memFile), "memory probe", 30_000)
  const m = JSON.parse(readFileSync(memFile, "utf8")) as Memory
  // RSS from the kernel covers worker threads (our pool) too.
  m.rss = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))![1]) * 1024
  return m
}

/** Sends with at most `window` unacknowledged (a client's own flow control). */
export const sendAll = async (conn: Conn, updates: ReadonlyArray<Uint8Array>, window = 32) => {
  const inFlight = new Set<Promise<void>>()
  for (const u of updates) {
    const p: Promise<void> = conn.send(u).then(() => void inFlight.delete(p))
    inFlight.add(p)
    if (inFlight.size >= window) await Promise.race(inFlight)
  }
  await Promise.all(inFlight)
}

abstract class ChildServer {
  protected child?: ChildProcess
  protected port = 0
  protected log = ""
  protected readonly tmp = mkdtempSync(join(tmpdir(), "vibestack-peers-"))
  protected readonly memFile = join(this.tmp, "mem.json")
  protected docs = 0

  /** Spawns `node args…` with "$PORT" in args and env values replaced by a free port. */
  protected async spawnChildOn(args: Array<string>, env: Record<string, string>) {
    this.port = await freePort()
    const fill = (s: string) => s.replace("$PORT", String(this.port))
    const child = spawn(process.execPath, args.map(fill), {
      env: {
        ...process.env,
        ...probeEnv(this.memFile),
        ...Object.fromEntries(Object.entries(env).map(([k, v]) => [k, fill(v)])),
      },
      stdio: ["ignore", "pipe", "pipe"],
      cwd: root,
    })
    child.stdout!.on("data", (d) => (this.log += d))
    child.stderr!.on("data", (d) => (this.log += d))
    this.child = child
    await waitPort(this.port, child, () => this.log)
  }
  async stop() {
    if (this.child && this.child.exitCode === null) {
      const exited = new Promise((r) => this.child!.once("exit", r))
      this.child.kill("SIGKILL")
      await exited
    }
    rmSync(this.tmp, { recursive: true, force: true })
  }
  memory() {
    return readMemory(this.child!.pid!, this.memFile)
  }
  async newDoc() {
    return `doc-${this.docs++}`
  }
  protected get wsUrl() {
    return `ws://127.0.0.1:${this.port}`
  }
}

/** Common shape of the two Yjs systems: they differ in framing (Hocuspocus prefixes the doc name). */
abstract class YjsSystem extends ChildServer {
  abstract connect(doc: string, replica?: Replica): Promise<Conn>
  editor() {
    return yEditor()
  }
  replica() {
    return yReplica()
  }
  writer(doc: string) {
    return rawWriter(this, doc)
  }
  async offlineClient(doc: string) {
    const replica = yReplica()
    const first = await this.connect(doc, replica)
    first.close()
    return {
      resume: async (expected: number) => {
        const t0 = performance.now()
        const c = await this.connect(doc, replica)
        await until(() => replica.count() >= expected, "catch-up")
        const r = { ms: performance.now() - t0, bytes: c.bytesIn }
        c.close()
        return r
      },
    }
  }
  async newClient(doc: string, expected: number) {
    const replica = yReplica()
    const t0 = performance.now()
    const c = await this.connect(doc, replica)
    await until(() => replica.count() >= expected || c.error !== undefined, "initial load")
    if (c.error !== undefined) throw new Error(`server refused: ${c.error}`)
    const r = { ms: performance.now() - t0, bytes: c.bytesIn }
    c.close()
    return r
  }
}

const Y_SYNC = 0
const Y_STEP1 = 0
const Y_STEP2 = 1
const Y_UPDATE = 2

export class YWebsocket extends YjsSystem {
  readonly name = "y-websocket"
  readonly ack = "none in the protocol (timed at an observer client); in memory, no persistence by default"
  readonly acks = false
  async start() {
    // The package's own bin with its documented env (HOST, PORT); no YPERSISTENCE → in memory.
    await this.spawnChildOn([join(root, "node_modules/@y/websocket-server/src/server.js")], {
      HOST: "127.0.0.1",
      PORT: "$PORT",
    })
  }
  async connect(doc: string, replica?: Replica & { doc?: Y.Doc }): Promise<Conn> {
    const ws = new WebSocket(`${this.wsUrl}/${doc}`)
    ws.binaryType = "nodebuffer"
    const conn: Conn = {
      bytesIn: 0,
      onRemote: () => {},
      send: async (u) => {
        const e = encoding.createEncoder()
        encoding.writeVarUint(e, Y_SYNC)
        encoding.writeVarUint(e, Y_UPDATE)
        encoding.writeVarUint8Array(e, u)
        ws.send(encoding.toUint8Array(e))
      },
      close: () => ws.close(),
    }
    let synced = false
    const ydoc = (replica as { doc?: Y.Doc } | undefined)?.doc
    ws.on("message", (data) => {
      const at = performance.now()
      const bytes = toBytes(data)
      conn.bytesIn += bytes.length
      const d = decoding.createDecoder(bytes)
      if (decoding.readVarUint(d) !== Y_SYNC) return // awareness
      const sub = decoding.readVarUint(d)
      const payload = decoding.readVarUint8Array(d)
      if (sub === Y_UPDATE) {
        if (replica) replica.apply(payload)
        conn.onRemote(payload, at)
      } else if (sub === Y_STEP2) {
        if (replica) replica.apply(payload)
        synced = true
      } else if (sub === Y_STEP1 && ydoc) {
        // The server asks for what we have that it lacks.
        const e = encoding.createEncoder()
        encoding.writeVarUint(e, Y_SYNC)
        encoding.writeVarUint(e, Y_STEP2)
        encoding.writeVarUint8Array(e, Y.encodeStateAsUpdate(ydoc, payload))
        ws.send(encoding.toUint8Array(e))
      }
    })
    await new Promise<void>((resolve, reject) => {
      ws.once("open", () => resolve())
      ws.once("error", reject)
    })
    const e = encoding.createEncoder()
    encoding.writeVarUint(e, Y_SYNC)
    encoding.writeVarUint(e, Y_STEP1)
    encoding.writeVarUint8Array(e, ydoc ? Y.encodeStateVector(ydoc) : Y.encodeStateVector(new Y.Doc()))
    ws.send(encoding.toUint8Array(e))
    await until(() => synced, "y-websocket sync step 2", 60_000)
    return conn
  }
}

const HP_SYNC = 0
const HP_AUTH = 2
const HP_SYNC_REPLY = 4
const HP_SYNC_STATUS = 8

export class Hocuspocus extends YjsSystem {
  readonly name = "Hocuspocus"
  readonly ack = "SyncStatus after applying in memory; extension-database stores later (debounce 2 s, max 10 s)"
  readonly acks = true
  async start(databaseUrl: string) {
    await this.spawnChildOn(["--import", "tsx", join(here, "hocuspocusServer.ts"), "$PORT", databaseUrl], {})
  }
  async connect(doc: string, replica?: Replica & { doc?: Y.Doc }): Promise<Conn> {
    const ws = new WebSocket(this.wsUrl)
    ws.binaryType = "nodebuffer"
    const acks: Array<() => void> = []
    const frame = (write: (e: encoding.Encoder) => void) => {
      const e = encoding.createEncoder()
      encoding.writeVarString(e, doc)
      write(e)
      return encoding.toUint8Array(e)
    }
    const conn: Conn = {
      bytesIn: 0,
      onRemote: () => {},
      send: (u) =>
        new Promise<void>((resolve) => {
          acks.push(resolve)
          ws.send(
            frame((e) => {
              encoding.writeVarUint(e, HP_SYNC)
              encoding.writeVarUint(e, Y_UPDATE)
              encoding.writeVarUint8Array(e, u)
            }),
          )
        }),
      close: () => ws.close(),
    }
    let synced = false
    ws.on("message", (data) => {
      const at = performance.now()
      const bytes = toBytes(data)
      conn.bytesIn += bytes.length
      const d = decoding.createDecoder(bytes)
      decoding.readVarString(d)
      const type = decoding.readVarUint(d)
      if (type === HP_SYNC_STATUS) {
        // Acks come back in the order the updates were sent on this socket.
        acks.shift()?.()
        return
      }
      if (type !== HP_SYNC && type !== HP_SYNC_REPLY) return
      const sub = decoding.readVarUint(d)
      const payload = decoding.readVarUint8Array(d)
      if (sub === Y_UPDATE) {
        if (replica) replica.apply(payload)
        conn.onRemote(payload, at)
      } else if (sub === Y_STEP2) {
        if (replica) replica.apply(payload)
        synced = true
      }
    })
    await new Promise<void>((resolve, reject) => {
      ws.once("open", () => resolve())
      ws.once("error", reject)
    })
    // Auth first (empty token: no onAuthenticate hook configured), then sync step 1.
    ws.send(
      frame((e) => {
        encoding.writeVarUint(e, HP_AUTH)
        encoding.writeVarUint(e, 0)
        encoding.writeVarString(e, "")
      }),
    )
    const ydoc = replica?.doc ?? new Y.Doc()
    ws.send(
      frame((e) => {
        encoding.writeVarUint(e, HP_SYNC)
        encoding.writeVarUint(e, Y_STEP1)
        encoding.writeVarUint8Array(e, Y.encodeStateVector(ydoc))
      }),
    )
    await until(() => synced, "Hocuspocus sync step 2", 60_000)
    return conn
  }
}

export class LoroWebsocket extends ChildServer {
  readonly name = "loro-websocket"
  readonly ack = "Ack after importing in memory (SimpleServer keeps documents in memory; no save hook by default)"
  readonly acks = true
  async start() {
    await this.spawnChildOn(["--import", "tsx", join(here, "loroServer.ts"), "$PORT"], {})
  }
  editor() {
    return loroEditor()
  }
  replica() {
    return loroReplica()
  }
  writer(doc: string) {
    return rawWriter(this, doc)
  }
  async connect(doc: string, replica?: Replica & { doc?: LoroDoc }): Promise<Conn> {
    const ws = new WebSocket(this.wsUrl)
    ws.binaryType = "nodebuffer"
    const acks = new Map<string, () => void>()
    let batch = 0
    const prefix = `0x${Math.floor(Math.random() * 2 ** 32)
      .toString(16)
      .padStart(8, "0")}`
    const conn: Conn = {
      bytesIn: 0,
      onRemote: () => {},
      send: (u) =>
        new Promise<void>((resolve) => {
          const batchId = `${prefix}${(batch++).toString(16).padStart(8, "0")}` as `0x${string}`
          acks.set(batchId, resolve)
          ws.send(loroEncode({ type: LoroMsg.DocUpdate, crdt: CrdtType.Loro, roomId: doc, updates: [u], batchId }))
        }),
      close: () => ws.close(),
    }
    let joined = false
    let failed: string | undefined
    ws.on("message", (data, isBinary) => {
      const at = performance.now()
      const bytes = toBytes(data)
      conn.bytesIn += bytes.length
      if (!isBinary) return // "pong"
      const m = loroDecode(bytes)
      if (m.type === LoroMsg.Ack) {
        acks.get(m.refId)?.()
        acks.delete(m.refId)
      } else if (m.type === LoroMsg.DocUpdate) {
        for (const u of m.updates) {
          if (replica) replica.apply(u)
          conn.onRemote(u, at)
        }
      } else if (m.type === LoroMsg.JoinResponseOk) joined = true
      else if (m.type === LoroMsg.JoinError) {
        // Can also follow JoinResponseOk (the backfill failed to encode): the client then never catches up.
        failed = m.message
        conn.error = m.message
      }
    })
    await new Promise<void>((resolve, reject) => {
      ws.once("open", () => resolve())
      ws.once("error", reject)
    })
    const version = replica?.doc && replica.count() > 0 ? replica.doc.version().encode() : new Uint8Array()
    ws.send(
      loroEncode({ type: LoroMsg.JoinRequest, crdt: CrdtType.Loro, roomId: doc, auth: new Uint8Array(), version }),
    )
    await until(() => joined || failed !== undefined, "loro join", 60_000)
    if (failed !== undefined) throw new Error(`loro join failed: ${failed}`)
    return conn
  }
  async offlineClient(doc: string) {
    const replica = loroReplica()
    const first = await this.connect(doc, replica)
    await sleep(200)
    first.close()
    return {
      resume: async (expected: number) => {
        const t0 = performance.now()
        const c = await this.connect(doc, replica)
        await until(() => replica.count() >= expected, "catch-up")
        const r = { ms: performance.now() - t0, bytes: c.bytesIn }
        c.close()
        return r
      },
    }
  }
  async newClient(doc: string, expected: number) {
    const replica = loroReplica()
    const t0 = performance.now()
    const c = await this.connect(doc, replica)
    await until(() => replica.count() >= expected || c.error !== undefined, "initial load")
    if (c.error !== undefined) throw new Error(`server refused: ${c.error}`)
    const r = { ms: performance.now() - t0, bytes: c.bytesIn }
    c.close()
    return r
  }
}

/** Our server: HTTP to register a workspace (one document each), the live socket for everything else. */
export class VibeStack implements System {
  readonly name = "VibeStack"
  readonly ack = "PushAck after a durable Postgres commit (synchronous_commit on)"
  readonly acks = true
  private server?: Awaited<ReturnType<typeof startServerProcess>>
  private readonly tmp = mkdtempSync(join(tmpdir(), "vibestack-peers-"))
  private readonly memFile = join(this.tmp, "mem.json")
  private readonly tokens = new Map<string, string>()
  private dirs = 0
  private writers: EngineWriters | undefined

  async start(databaseUrl: string) {
    this.server = await startServerProcess(databaseUrl, await freePort(), {
      // The workload's map is not the task layout the projection reads, and no peer projects.
      VIBESTACK_PROJECTION_ENABLED: "false",
      ...probeEnv(this.memFile),
    })
  }
  async stop() {
    await this.writers?.close()
    this.writers = undefined
    await this.server?.stop()
    rmSync(this.tmp, { recursive: true, force: true })
  }
  memory() {
    return readMemory(this.server!.child.pid!, this.memFile)
  }
  async newDoc() {
    const r = (await fetch(`${this.server!.url}/api/v1/workspaces`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: "bench" }),
    }).then((r) => r.json())) as { workspaceId: string; masterToken: string }
    this.tokens.set(r.workspaceId, r.masterToken)
    return r.workspaceId
  }
  editor() {
    return loroEditor()
  }
  replica() {
    return loroReplica()
  }
  /**
   * The product's own client: `HeadlessClient` (the sync engine the web app's worker runs, a
   * memory store), editing with the schema's write helpers and pushing over the live socket,
   * pipelined; `edit` resolves when the engine has the durable acknowledgement. The writers run
   * in worker threads (`engineWriters.ts`): each also imports every other writer's edit, and one
   * event loop could not drive the rates the server takes.
   */
  async writer(doc: string): Promise<Writer> {
    this.writers ??= new EngineWriters(this.server!.url)
    return this.writers.open(doc, this.tokens.get(doc)!, join(this.tmp, `writer-${this.dirs++}`))
  }
  async soloWriter(doc: string): Promise<Writer> {
    const w = await EngineWriter.open(
      this.server!.url,
      doc,
      this.tokens.get(doc)!,
      join(this.tmp, `writer-${this.dirs++}`),
    )
    return { peer: w.peer, edit: (...keys) => w.edit(keys), close: () => void w.close() }
  }
  /** The writer threads' event-loop utilisation (1 = saturated) since `since`. */
  writerLoad(since?: ReadonlyArray<EventLoopUtilization>) {
    return this.writers?.utilisation(since)
  }
  async connect(doc: string, replica?: Replica): Promise<Conn> {
    const ws = new WebSocket(`${this.server!.url.replace(/^http/, "ws")}/api/v1/workspaces/${doc}/live`)
    ws.binaryType = "nodebuffer"
    const acks = new Map<number, { resolve: () => void; reject: (e: Error) => void }>()
    let requestId = 0
    const keyPrefix = randomBytes(8).toString("hex")
    const texts: Array<{ _tag: string }> = []
    const conn: Conn = {
      bytesIn: 0,
      onRemote: () => {},
      send: (u) =>
        new Promise<void>((resolve, reject) => {
          const id = requestId++
          acks.set(id, { resolve, reject })
          // Keys are per workspace: several writers share one, so each socket gets its own prefix.
          ws.send(encodeFrame({ _tag: "Push", docId: "main", requestId: id, idempotencyKey: `${keyPrefix}-${id}` }, u))
        }),
      close: () => ws.close(),
    }
    ws.on("message", (data, isBinary) => {
      const at = performance.now()
      const bytes = toBytes(data)
      conn.bytesIn += bytes.length
      if (isBinary) {
        // [4-byte header length][JSON header][Loro update]
        const headLen = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(0, false)
        const update = bytes.subarray(4 + headLen)
        if (replica) replica.apply(update)
        conn.onRemote(update, at)
        return
      }
      const msg = JSON.parse(Buffer.from(bytes).toString("utf8"))
      if (msg._tag === "PushAck") {
        // Every push here is new: a duplicate would mean nothing was committed for it.
        if (msg.duplicate) acks.get(msg.requestId)?.reject(new Error("push acknowledged as a duplicate"))
        else acks.get(msg.requestId)?.resolve()
        acks.delete(msg.requestId)
      } else if (msg._tag === "PushRejected") {
        acks.get(msg.requestId)?.reject(new Error(`push rejected: ${JSON.stringify(msg.error)}`))
        acks.delete(msg.requestId)
      } else texts.push(msg)
    })
    await new Promise<void>((resolve, reject) => {
      ws.once("open", () => resolve())
      ws.once("error", reject)
    })
    ws.send(JSON.stringify({ _tag: "Auth", token: this.tokens.get(doc), protocolVersion: 1 }))
    await until(() => texts.some((t) => t._tag === "AuthOk"), "AuthOk", 60_000)
    ws.send(JSON.stringify({ _tag: "Subscribe", docId: "main" }))
    await until(() => texts.some((t) => t._tag === "Subscribed"), "Subscribed", 60_000)
    return conn
  }

  /** The real headless client (engine + file store + Loro import), bytes counted on HTTP bodies and the socket. */
  private headless(doc: string, counter: { bytes: number }) {
    const countingFetch: typeof fetch = async (input, init) => {
      const res = await fetch(input, init)
      const body = new Uint8Array(await res.arrayBuffer())
      counter.bytes += body.length
      return new Response(body, { status: res.status, headers: res.headers })
    }
    class CountingSocket extends WebSocket {
      constructor(...args: ConstructorParameters<typeof WebSocket>) {
        super(...args)
        this.on("message", (d: WebSocket.RawData) => (counter.bytes += toBytes(d).length))
      }
    }
    const dir = join(this.tmp, `client-${this.dirs++}`)
    return {
      dir,
      transport: new HttpTransport({
        baseUrl: this.server!.url,
        WebSocket: CountingSocket as unknown as WebSocketCtor,
        fetch: countingFetch,
      }),
      token: this.tokens.get(doc)!,
    }
  }
  async offlineClient(doc: string) {
    const counter = { bytes: 0 }
    const h = this.headless(doc, counter)
    const first = await HeadlessClient.open(this.server!.url, doc as WorkspaceId, h.token, {
      dir: h.dir,
      fsync: false,
      transport: h.transport,
    })
    await first.waitIdle()
    await first.close()
    return {
      resume: async (expected: number) => {
        counter.bytes = 0
        const t0 = performance.now()
        const back = await HeadlessClient.resume(doc as WorkspaceId, {
          dir: h.dir,
          fsync: false,
          transport: h.transport,
        })
        await back.waitIdle()
        await until(() => back.doc.getMap("tasks").size >= expected, "catch-up")
        const r = { ms: performance.now() - t0, bytes: counter.bytes }
        await back.close()
        return r
      },
    }
  }
  async newClient(doc: string, expected: number) {
    const counter = { bytes: 0 }
    const h = this.headless(doc, counter)
    const t0 = performance.now()
    const c = await HeadlessClient.open(this.server!.url, doc as WorkspaceId, h.token, {
      dir: h.dir,
      fsync: false,
      transport: h.transport,
    })
    await c.waitIdle()
    await until(() => c.doc.getMap("tasks").size >= expected, "initial load")
    const r = { ms: performance.now() - t0, bytes: counter.bytes }
    await c.close()
    return r
  }
}

export const makeSystems = (): Array<System> => [
  new VibeStack(),
  new Hocuspocus(),
  new YWebsocket(),
  new LoroWebsocket(),
]
