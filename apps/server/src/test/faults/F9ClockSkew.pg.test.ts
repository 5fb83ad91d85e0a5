import { spawn } from "node:child_process"
import { mkdtempSync, rmSync } from "node:fs"
import { mkdtemp, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { createInterface } from "node:readline"
import { HeadlessClient } from "@vibestack/headless"
import type { WorkspaceId } from "@vibestack/schema"
import { HttpTransport, type WebSocketCtor } from "@vibestack/shared"
import { Option, Redacted } from "effect"
import { LoroDoc } from "loro-crdt"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { WebSocket } from "ws"
import { CLOCK_TOLERANCE_SECONDS } from "../../auth/jwt.js"
import { api } from "../http.js"
import { freePort, startTestPg, type TestPg } from "../pg.js"
import { startTestServer, type TestServer } from "../server.js"
import { AuditLog, type PushRecord } from "./AuditTransport.js"
import { type CheckedClient, checkInvariants, referenceDoc } from "./checkInvariants.js"
import { skewEnv } from "./faketime.js"
import { applyFaultEdit, faultState, pushNotesFixture, stateJson } from "./faultEdits.js"
import { JWT_SECRET, runSeed, seeded, sleep } from "./faultRun.js"
import { ServerProcess } from "./ServerProcess.js"
import { readServerLog } from "./serverLog.js"

/** The skew under test: 10 minutes, each way. */
const SKEW_S = 600

const SERVER_DIR = join(import.meta.dirname, "../../..")

/** Spawns node on an ES module given as text, in apps/server (with tsx when it imports our TypeScript). */
const spawnScript = (script: string, env: Record<string, string>, tsx = true) =>
  spawn(process.execPath, [...(tsx ? ["--import", "tsx"] : []), "--input-type=module", "-e", script], {
    cwd: SERVER_DIR,
    env: { ...process.env, ...env },
    stdio: ["pipe", "pipe", "pipe"],
  })

/** Runs a script to its end; its stdout, or a rejection with its stderr. */
const runChild = (script: string, env: Record<string, string>): Promise<string> =>
  new Promise((resolve, reject) => {
    const child = spawnScript(script, env, false)
    let out = ""
    let err = ""
    child.stdout.on("data", (d) => (out += d))
    child.stderr.on("data", (d) => (err += d))
    const timer = setTimeout(() => child.kill("SIGKILL"), 60_000)
    child.once("exit", (code) => {
      clearTimeout(timer)
      if (code === 0) resolve(out)
      else reject(new Error(`child exited ${code}:\n${err}`))
    })
  })

const vvOf = (d: LoroDoc) => JSON.stringify([...d.oplogVersion().toJSON()].sort(([a], [b]) => a.localeCompare(b)))

/**
 * Edit `n` of client `name` (faultEdits.ts): its keys are its own (so each one's final value is
 * its last write, whatever the clocks), text goes in at 0 of the shared notes as one bracketed
 * run (never split), and log entries are unique. The child process runs the same function.
 */
const applyEdit = (d: LoroDoc, name: string, n: number): void => applyFaultEdit(d, name, n, 5)

interface Oracle {
  readonly log: Array<string>
  readonly tasks: Record<string, number>
  readonly textCounts: Record<string, number>
  readonly textLength: number
}

/** What the merged document must hold after `edits`, computed without any clock. */
const expectedFromEdits = (edits: ReadonlyArray<{ name: string; n: number }>): Oracle => {
  const o: Oracle = { log: [], tasks: {}, textCounts: {}, textLength: 0 }
  for (const { name, n } of edits) {
    if (n % 3 === 0) o.tasks[`${name}-${n % 5}`] = n
    else if (n % 3 === 1) {
      o.textCounts[name] = (o.textCounts[name] ?? 0) + 1
      ;(o as { textLength: number }).textLength += name.length + 2
    } else o.log.push(`${name}:${n}`)
  }
  return o
}

/**
 * A headless sync client in its own process: opens the workspace, makes \`F9_EDITS\` edits
 * (with short random pauses), waits until its outbox is pushed, prints {"edited":true};
 * then, told the head on stdin, waits until it is live at that head and prints its state
 * and its audit (every push and every update received), and exits.
 */
const CHILD_SCRIPT = `
  const { mkdtemp, rm } = await import("node:fs/promises")
  const { tmpdir } = await import("node:os")
  const { join } = await import("node:path")
  const { createInterface } = await import("node:readline")
  const { HttpTransport } = await import("@vibestack/shared")
  const { WebSocket } = await import("ws")
  const { HeadlessClient } = await import("@vibestack/headless")
  const { AuditLog } = await import("./src/test/faults/AuditTransport.ts")
  const e = process.env
  const name = e.F9_NAME
  const { applyFaultEdit, stateJson } = await import("./src/test/faults/faultEdits.ts")
  const applyEdit = (d, n) => applyFaultEdit(d, name, n, 5)
  const audit = new AuditLog()
  const dir = await mkdtemp(join(tmpdir(), "vibestack-f9-child-"))
  const transport = audit.wrap(name, new HttpTransport({ baseUrl: e.F9_URL, WebSocket, requestTimeoutMs: 10000, pingIntervalMs: 1000 }))
  const client = await HeadlessClient.open(e.F9_URL, e.F9_WS, e.F9_TOKEN, { dir, fsync: false, transport })
  for (let n = 0; n < Number(e.F9_EDITS); n++) {
    await client.edit((d) => applyEdit(d, n))
    if (Math.random() < 0.3) await new Promise((r) => setTimeout(r, Math.random() * 30))
  }
  await client.waitIdle(60000)
  console.log(JSON.stringify({ edited: true }))
  for await (const line of createInterface({ input: process.stdin })) {
    const head = JSON.parse(line).head
    const deadline = Date.now() + 60000
    while (!(client.status.state === "live" && client.status.pending === 0 && client.engine.cursor === head)) {
      if (Date.now() > deadline) throw new Error("child not at head " + head + ": " + JSON.stringify(client.status) + " cursor " + client.engine.cursor)
      await new Promise((r) => setTimeout(r, 100))
    }
    const vv = JSON.stringify([...client.doc.oplogVersion().toJSON()].sort(([a], [b]) => a.localeCompare(b)))
    const view = audit.view(name)
    console.log(JSON.stringify({
      state: {
        json: stateJson(client.doc),
        vv,
        cursor: client.engine.cursor,
        outbox: (await client.store.outbox(e.F9_WS, "main")).length,
        pushes: audit.pushes,
        seen: Object.fromEntries(view.seen),
        snapshotCursor: view.snapshotCursor,
        now: Date.now(),
      },
    }))
    break
  }
  await client.close()
  await rm(dir, { recursive: true, force: true })
`

interface ChildState {
  readonly json: string
  readonly vv: string
  readonly cursor: number
  readonly outbox: number
  readonly pushes: Array<PushRecord>
  readonly seen: Record<number, string>
  readonly snapshotCursor: number
  /** The child's Date.now() when it answered (proves it ran skewed). */
  readonly now: number
}

const startHeadlessChild = (o: {
  url: string
  ws: string
  token: string
  name: string
  edits: number
  env: Record<string, string>
}) => {
  const child = spawnScript(CHILD_SCRIPT, {
    F9_URL: o.url,
    F9_WS: o.ws,
    F9_TOKEN: o.token,
    F9_NAME: o.name,
    F9_EDITS: String(o.edits),
    ...o.env,
  })
  let err = ""
  child.stderr.on("data", (d) => (err += d))
  const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)))
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]()
  const next = async (): Promise<Record<string, unknown>> => {
    const r = await Promise.race([lines.next(), exited.then(() => ({ done: true, value: undefined }))])
    if (r.done || r.value === undefined) throw new Error(`headless child exited (${await exited}):\n${err}`)
    return JSON.parse(r.value) as Record<string, unknown>
  }
  const editsDone = next()
  editsDone.catch(() => {}) // awaited later; a child that dies early must not be an unhandled rejection
  return {
    editsDone,
    settle: async (head: number): Promise<ChildState> => {
      child.stdin.write(`${JSON.stringify({ head })}\n`)
      return (await next()).state as ChildState
    },
    close: async () => {
      if (child.exitCode === null) {
        const t = setTimeout(() => child.kill("SIGKILL"), 10_000)
        child.stdin.end()
        await exited
        clearTimeout(t)
      }
    },
  }
}

/**
 * F9: three server nodes on one Postgres and one JWT secret: one with the real clock (in
 * this process) and two `vibestack serve` children under libfaketime at +10 min and −10 min;
 * plus child processes (Loro peers, a headless sync client) under faketime. Proves the skew is real, that merges do not
 * depend on it, and where token time checks stop tolerating it.
 */
let pg: TestPg
/** A node as the tests use it: where it answers. */
interface Node {
  readonly url: string
}
const nodes = {} as Record<"plain" | "ahead" | "behind", Node>
let plain: TestServer
const procs: Array<ServerProcess> = []
const dataDirs: Array<string> = []

beforeAll(async () => {
  pg = await startTestPg()
  // The real-clock node runs in this process; it never needs the Loro pool here (no pushes).
  plain = await startTestServer({ pg, config: { jwtSecret: Option.some(Redacted.make(JWT_SECRET)) } })
  nodes.plain = plain
  const make = async (name: string, offset: string) => {
    const dataDir = mkdtempSync(join(tmpdir(), "vibestack-f9-"))
    dataDirs.push(dataDir)
    const proc = new ServerProcess(
      {
        DATABASE_URL: pg.url,
        VIBESTACK_DATA_DIR: dataDir,
        VIBESTACK_JWT_SECRET: JWT_SECRET,
        VIBESTACK_NODE_ID: `f9-${name}`,
        ...skewEnv(offset),
      },
      await freePort(),
    )
    procs.push(proc)
    return proc
  }
  const ahead = await make("ahead", `+${SKEW_S}s`)
  const behind = await make("behind", `-${SKEW_S}s`)
  // Only the ahead node takes pushes (warm its pool); the behind one checks tokens.
  await Promise.all([ahead.start(), behind.start({ warm: false })])
  nodes.ahead = ahead
  nodes.behind = behind
  // Two server processes booting under libfaketime (tsx) beside other suites: minutes on 2 cores.
}, 420_000)

afterAll(async () => {
  for (const p of procs) await p.stop().catch(() => {})
  await plain?.stop()
  await pg?.dispose()
  for (const d of dataDirs) rmSync(d, { recursive: true, force: true })
})

/** The payload of a JWT, unverified (to read the minting node's `iat`/`exp`). */
const claims = (token: string) =>
  JSON.parse(Buffer.from(token.split(".")[1]!, "base64url").toString("utf8")) as { iat: number; exp: number }

/** Status and error message of an authenticated read on `node`. */
const useToken = async (node: Node, ws: string, token: string) => {
  const r = await api(node.url).call("GET", `/api/v1/workspaces/${ws}`, { token })
  return { status: r.status, message: String(r.json?.error?.message ?? "") }
}

describe("F9 clocks skewed ±10 min (quick tier)", () => {
  it("[F9] libfaketime moves Node's Date.now in child processes and in the skewed servers (HTTP Date, token iat)", async () => {
    for (const [offset, want] of [
      [`+${SKEW_S}s`, SKEW_S],
      [`-${SKEW_S}s`, -SKEW_S],
    ] as const) {
      const before = Date.now()
      const out = await runChild("console.log(JSON.stringify({ now: Date.now() }))", skewEnv(offset))
      const seen = (JSON.parse(out) as { now: number }).now
      // The child ran between `before` and now: its clock minus ours is the offset, give or take the run.
      expect(Math.abs((seen - before) / 1000 - want), `child under FAKETIME=${offset}`).toBeLessThan(30)
    }
    for (const [name, want] of [
      ["plain", 0],
      ["ahead", SKEW_S],
      ["behind", -SKEW_S],
    ] as const) {
      const node = nodes[name]
      const r = await fetch(`${node.url}/healthz`)
      const date = Date.parse(r.headers.get("date") ?? "")
      expect(Math.abs((date - Date.now()) / 1000 - want), `${name} Date header`).toBeLessThan(30)
      const { masterToken } = await api(node.url).register(`clock-${name}`)
      expect(Math.abs(claims(masterToken).iat - Date.now() / 1000 - want), `${name} token iat`).toBeLessThan(30)
    }
  })

  it("[F9] Loro merges do not read the clock: peers under +10/−10 min (timestamps recorded) merge exactly as unskewed", async () => {
    // The browser client records change timestamps (WorkspaceSession: setRecordTimestamp).
    // Peer 1 and 2 write the same map key, text position and list concurrently.
    const peerScript = `
      const { LoroDoc } = await import("loro-crdt")
      const peer = BigInt(process.env.F9_PEER)
      const d = new LoroDoc()
      d.setPeerId(peer)
      d.setRecordTimestamp(true)
      for (let i = 0; i < 6; i++) {
        d.getMap("m").set("same", "p" + peer + "-" + i)
        d.getMap("m").set("p" + peer, i)
        d.getText("t").insert(0, "<" + peer + ":" + i + ">")
        d.getList("l").push(peer + ":" + i)
        d.commit()
      }
      const ts = (d.getAllChanges().get(String(peer)) ?? []).map((c) => c.timestamp)
      console.log(JSON.stringify({ update: Buffer.from(d.export({ mode: "update" })).toString("base64"), ts }))`
    const peer = async (id: number, offset?: string) => {
      const out = await runChild(peerScript, { F9_PEER: String(id), ...(offset ? skewEnv(offset) : {}) })
      const r = JSON.parse(out) as { update: string; ts: Array<number> }
      return { update: new Uint8Array(Buffer.from(r.update, "base64")), ts: r.ts }
    }
    const merge = (...updates: Array<Uint8Array>) => {
      const d = new LoroDoc()
      d.importBatch(updates)
      return { json: JSON.stringify(d.toJSON()), vv: vvOf(d) }
    }
    const [p1, p2, p1Ahead, p2Behind, p1Behind, p2Ahead] = await Promise.all([
      peer(1),
      peer(2),
      peer(1, `+${SKEW_S}s`),
      peer(2, `-${SKEW_S}s`),
      peer(1, `-${SKEW_S}s`),
      peer(2, `+${SKEW_S}s`),
    ])
    // The skew really reached the recorded timestamps (seconds), so a clock-dependent merge would show.
    expect(Math.abs(p1Ahead.ts[0]! - p1.ts[0]! - SKEW_S)).toBeLessThan(30)
    expect(Math.abs(p2Behind.ts[0]! - p2.ts[0]! + SKEW_S)).toBeLessThan(30)
    const plain = merge(p1.update, p2.update)
    expect(merge(p1Ahead.update, p2Behind.update)).toEqual(plain)
    expect(merge(p2Behind.update, p1Ahead.update)).toEqual(plain)
    expect(merge(p1Behind.update, p2Ahead.update)).toEqual(plain)
    expect(merge(p1Ahead.update, p2.update)).toEqual(plain)
  })

  it("[F9] tokens: long-lived ones work across nodes ±10 min apart both ways; an exp beyond the tolerance is refused", async () => {
    expect(CLOCK_TOLERANCE_SECONDS).toBe(60)
    const ws: Record<string, { workspaceId: string; masterToken: string }> = {}
    for (const name of ["plain", "ahead", "behind"] as const)
      ws[name] = await api(nodes[name].url).register(`t-${name}`)
    // Master tokens (10 years) and default access tokens (30 days), minted anywhere, used everywhere.
    for (const minter of ["plain", "ahead", "behind"] as const) {
      const { workspaceId, masterToken } = ws[minter]!
      const { token } = await api(nodes[minter].url).mint(workspaceId, masterToken, "editor")
      for (const user of ["plain", "ahead", "behind"] as const) {
        expect(await useToken(nodes[user], workspaceId, masterToken), `master ${minter}→${user}`).toMatchObject({
          status: 200,
        })
        expect(await useToken(nodes[user], workspaceId, token), `editor ${minter}→${user}`).toMatchObject({
          status: 200,
        })
      }
    }
    const { workspaceId: w, masterToken: m } = ws.plain!
    const mintOn = async (name: "plain" | "ahead" | "behind", seconds: number) =>
      (await api(nodes[name].url).mint(w, m, "viewer", { expiresInSeconds: seconds })).token
    // A 5-minute token from the node 10 min behind expired 5 min ago by real time: beyond the
    // tolerance, refused by the JWT check itself on the real-clock and the ahead node.
    const short = await mintOn("behind", 300)
    expect(claims(short).exp * 1000).toBeLessThan(Date.now() - 240_000)
    expect(await useToken(nodes.behind, w, short)).toMatchObject({ status: 200 })
    for (const user of ["plain", "ahead"] as const)
      expect(await useToken(nodes[user], w, short), user).toEqual({
        status: 401,
        message: "invalid token: jwt expired",
      })
    // The same from the node 10 min ahead lives 15 real minutes: the skew lengthens it, nobody refuses it.
    const long = await mintOn("ahead", 300)
    expect(claims(long).exp * 1000).toBeGreaterThan(Date.now() + 840_000)
    for (const user of ["plain", "ahead", "behind"] as const)
      expect(await useToken(nodes[user], w, long), user).toMatchObject({ status: 200 })
    // A token 30 s past its exp on the verifying node is inside CLOCK_TOLERANCE_SECONDS: both the
    // JWT check and the row check (expires_at) accept it (found here: the row check once had none).
    const edge = await mintOn("behind", SKEW_S - 30)
    const pastBy = Date.now() / 1000 - claims(edge).exp
    expect(pastBy).toBeGreaterThan(0)
    expect(pastBy).toBeLessThan(CLOCK_TOLERANCE_SECONDS)
    expect(await useToken(nodes.plain, w, edge)).toMatchObject({ status: 200 })
    expect(await useToken(nodes.behind, w, edge)).toMatchObject({ status: 200 })
    // Revocation does not compare clocks: revoked on the ahead node, refused on the behind one
    // (which had cached the row) once the NOTIFY evicts it.
    const minted = await api(nodes.plain.url).mint(w, m, "editor")
    expect(await useToken(nodes.behind, w, minted.token)).toMatchObject({ status: 200 })
    const del = await api(nodes.ahead.url).call("DELETE", `/api/v1/workspaces/${w}/tokens/${minted.tokenId}`, {
      token: m,
    })
    expect(del.status).toBeLessThan(300)
    const deadline = Date.now() + 10_000
    let last = await useToken(nodes.behind, w, minted.token)
    while (last.status === 200 && Date.now() < deadline) {
      await sleep(100)
      last = await useToken(nodes.behind, w, minted.token)
    }
    expect(last).toEqual({ status: 401, message: "token revoked" })
  })

  it("[F9] edits through skewed servers and from a skewed client process merge to one state: I1–I4 and a clock-free oracle", async () => {
    const seed = runSeed("F9 merges")
    const rnd = seeded(seed)
    const audit = new AuditLog()
    const { workspaceId, masterToken } = await api(nodes.ahead.url).register("f9-merges")
    const ws = workspaceId as WorkspaceId
    await pushNotesFixture(nodes.ahead.url, ws, masterToken, audit)
    // Two in-process clients on each node (this process keeps the real clock).
    const members: Array<CheckedClient & { dir: string; cursorSamples: Array<number> }> = []
    // Every push of the workspace goes through one node: see the report on multi-node pool copies.
    for (const node of ["ahead", "ahead", "ahead", "ahead"] as const) {
      const name = `${node[0]}${members.length}`
      const { token } = await api(nodes.plain.url).mint(ws, masterToken, "editor")
      const dir = await mkdtemp(join(tmpdir(), "vibestack-f9-client-"))
      const transport = audit.wrap(
        name,
        new HttpTransport({
          baseUrl: nodes[node].url,
          WebSocket: WebSocket as unknown as WebSocketCtor,
          requestTimeoutMs: 10_000,
          pingIntervalMs: 1_000,
        }),
      )
      const client = await HeadlessClient.open(nodes[node].url, ws, token, { dir, fsync: false, transport })
      members.push({ name, client, dir, cursorSamples: [] })
    }
    const sampler = setInterval(() => {
      for (const m of members) m.cursorSamples.push(m.client.engine.cursor)
    }, 100)
    // A headless client in its own process 10 min behind, talking to the node 10 min ahead.
    const childEdits = 30
    const childToken = (await api(nodes.plain.url).mint(ws, masterToken, "editor")).token
    const child = await startHeadlessChild({
      url: nodes.ahead.url,
      ws,
      token: childToken,
      name: "x",
      edits: childEdits,
      env: skewEnv(`-${SKEW_S}s`),
    })
    try {
      const edits: Array<{ name: string; n: number }> = []
      const counters = members.map(() => 0)
      for (let k = 0; k < 60; k++) {
        const i = Math.floor(rnd() * members.length)
        const n = counters[i]!++
        await members[i]!.client.edit((d) => applyEdit(d, members[i]!.name, n))
        edits.push({ name: members[i]!.name, n })
        if (rnd() < 0.3) await sleep(Math.floor(rnd() * 30))
      }
      for (let n = 0; n < childEdits; n++) edits.push({ name: "x", n })
      await child.editsDone
      // Quiesce: every client live, outbox empty, at the head.
      const head = async () => (await readServerLog(pg.url, ws)).length
      const deadline = Date.now() + 60_000
      for (;;) {
        const h = await head()
        const quiet = members.every(
          (m) => m.client.status.state === "live" && m.client.status.pending === 0 && m.client.engine.cursor === h,
        )
        if (quiet) break
        if (Date.now() > deadline)
          throw new Error(
            `seed ${seed}: not quiet (head ${h}): ${members.map((m) => `${m.name} ${JSON.stringify(m.client.status)} ${m.client.engine.cursor}`).join("; ")}`,
          )
        await sleep(100)
      }
      const log = await readServerLog(pg.url, ws)
      const childState = await child.settle(log.length)
      // The child's pushes join the audit, so I1 covers them and no row is "from nowhere".
      for (const p of childState.pushes) audit.pushes.push(p)
      expect(Math.abs((childState.now - Date.now()) / 1000 + SKEW_S)).toBeLessThan(60)
      const bad = await checkInvariants(log, audit, members)
      const ref = referenceDoc(log)
      const refJson = stateJson(ref)
      if (childState.json !== refJson) bad.push("I3 child JSON differs from the reference")
      if (childState.vv !== vvOf(ref)) bad.push("I3 child version vector differs from the reference")
      if (childState.outbox !== 0) bad.push(`I3 child outbox ${childState.outbox}`)
      if (childState.cursor !== log.length) bad.push(`I3 child cursor ${childState.cursor} != ${log.length}`)
      for (let s = childState.snapshotCursor + 1; s <= childState.cursor; s++)
        if (childState.seen[s] !== log[s - 1]?.hash) bad.push(`I2 child seq ${s} not received as logged`)
      // The skewed node's own copy (its served snapshot) equals the reference built here, with the real clock.
      for (const name of ["ahead"] as const) {
        const r = await api(nodes[name].url).call("GET", `/api/v1/workspaces/${ws}/docs/main/snapshot`, {
          token: masterToken,
        })
        const d = new LoroDoc()
        d.import(r.bytes)
        // A new device's view: the snapshot, then the log after the seq it covers.
        for (const u of log.slice(Number(r.headers.get("x-vibestack-cursor")))) d.import(u.bytes)
        if (stateJson(d) !== refJson) bad.push(`${name} node's snapshot differs from the reference`)
      }
      const errors = new Set(audit.pushes.filter((p) => p.outcome === "error").map((p) => `${p.client}: ${p.error}`))
      if (bad.length > 0) bad.push(...[...errors].map((e) => `push failed: ${e}`))
      if (bad.length > 0)
        throw new Error(`seed ${seed} violated ${bad.length} invariants:\n${bad.slice(0, 30).join("\n")}`)
      // The oracle needs no clock: every log entry once, every text insert, each key's last write.
      const want: Oracle = expectedFromEdits(edits)
      const got = faultState(ref.toJSON())
      expect([...got.log].sort()).toEqual([...want.log].sort())
      expect(got.keys).toEqual(want.tasks)
      for (const [name, count] of Object.entries(want.textCounts))
        expect(got.notes.split(`[${name}]`).length - 1, `text inserts of ${name}`).toBe(count)
      expect(got.notes.length).toBe(want.textLength)
      console.log(
        `[faults] F9 seed=${seed}: ${log.length} rows, ${audit.acked().length} acked pushes, ${edits.length} edits`,
      )
    } finally {
      clearInterval(sampler)
      await child.close()
      for (const m of members) await m.client.close().catch(() => {})
      for (const m of members) await rm(m.dir, { recursive: true, force: true })
    }
  }, 120_000)
})
