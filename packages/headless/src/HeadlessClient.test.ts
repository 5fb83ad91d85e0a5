import { mkdtemp, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { MAIN_DOC, type WorkspaceId } from "@vibestack/schema"
import { HttpTransport, TransportError, type WebSocketCtor } from "@vibestack/shared"
import { LoroDoc } from "loro-crdt"
import { afterAll, afterEach, describe, expect, it } from "vitest"
import { WebSocket } from "ws"
import { HeadlessClient } from "./HeadlessClient.js"
import { startMemoryHttpServer } from "./test/memoryHttpServer.js"

const dirs: Array<string> = []
const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true })
})
const freshDir = async () => {
  const d = await mkdtemp(join(tmpdir(), "vibestack-headless-"))
  dirs.push(d)
  return d
}
const serve = async () => {
  const s = await startMemoryHttpServer()
  cleanups.push(s.close)
  return s
}
const client = async (p: Promise<HeadlessClient>) => {
  const c = await p
  cleanups.push(() => c.close())
  return c
}
const transportFor = (url: string, extra: Partial<ConstructorParameters<typeof HttpTransport>[0]> = {}) =>
  new HttpTransport({ baseUrl: url, WebSocket: WebSocket as unknown as WebSocketCtor, ...extra })

describe("HeadlessClient over HTTP + WebSocket", () => {
  it("[C5] a creator and an editor converge through the live socket", async () => {
    const s = await serve()
    const a = await client(HeadlessClient.create(s.url, "Team", { dir: await freshDir(), fsync: false }))
    await a.edit((d) => d.getMap("tasks").set("t1", "write spec"))
    await a.waitIdle()
    const editor = s.server.mintToken(a.workspaceId, "editor")
    const b = await client(HeadlessClient.open(s.url, a.workspaceId, editor, { dir: await freshDir(), fsync: false }))
    await b.waitIdle()
    expect(b.doc.toJSON()).toEqual({ tasks: { t1: "write spec" } })
    await b.edit((d) => d.getText("notes").insert(0, "hello"))
    await b.waitIdle()
    // a learns of b's edit from the live socket; wait until a has it too.
    for (let i = 0; i < 200 && a.engine.cursor < 2; i++) await new Promise((r) => setTimeout(r, 10))
    await a.waitIdle()
    const ref = s.server.referenceDoc(a.workspaceId, MAIN_DOC)
    expect(a.doc.toJSON()).toEqual(ref.toJSON())
    expect(b.doc.toJSON()).toEqual(ref.toJSON())
  })

  it("[C1][C4] a commit that was never pushed survives a restart from the folder and is stored once", async () => {
    const s = await serve()
    const dir = await freshDir()
    const a = await HeadlessClient.create(s.url, "Team", { dir, fsync: false })
    await a.waitIdle()
    // Closed right after the commit is persisted: the process "dies" before any acknowledgement.
    await a.edit((d) => d.getMap("tasks").set("t1", "survive"))
    await a.close()
    expect(await a.store.outbox(a.workspaceId, MAIN_DOC)).toHaveLength(1)
    const again = await client(HeadlessClient.resume(a.workspaceId, { dir, fsync: false }))
    expect(again.doc.toJSON()).toEqual({ tasks: { t1: "survive" } })
    await again.waitIdle()
    expect(s.server.log(a.workspaceId, MAIN_DOC)).toHaveLength(1)
    expect(await again.store.outbox(a.workspaceId, MAIN_DOC)).toEqual([])
  })

  it("[C13] with WebSocket upgrades refused, clients still sync over HTTP", async () => {
    const s = await startMemoryHttpServer(undefined, { noLive: true })
    cleanups.push(s.close)
    const a = await client(HeadlessClient.create(s.url, "Team", { dir: await freshDir(), fsync: false }))
    await a.edit((d) => d.getMap("tasks").set("t1", "no socket"))
    await a.waitIdle()
    const b = await client(
      HeadlessClient.open(s.url, a.workspaceId, s.server.mintToken(a.workspaceId, "viewer"), await freshDir()),
    )
    await b.waitIdle()
    expect(b.doc.toJSON()).toEqual({ tasks: { t1: "no socket" } })
    expect(b.status).toMatchObject({ state: "live", online: true })
  })

  it("[C6] revoking the token stops the client with the reason; joining again with a new link clears it", async () => {
    const s = await serve()
    const dir = await freshDir()
    const a = await client(HeadlessClient.create(s.url, "Team", { dir, fsync: false }))
    await a.waitIdle()
    s.server.revokeToken(a.token)
    for (let i = 0; i < 500 && a.status.state !== "stopped"; i++) await new Promise((r) => setTimeout(r, 10))
    expect(a.status).toMatchObject({ state: "stopped", error: { kind: "Unauthorized" } })
    for (let i = 0; i < 100 && (await a.store.getWorkspace(a.workspaceId))?.fatal === undefined; i++)
      await new Promise((r) => setTimeout(r, 10))
    expect((await a.store.getWorkspace(a.workspaceId))?.fatal).toEqual({
      kind: "Unauthorized",
      message: "token revoked",
    })
    await a.close()
    const again = await client(
      HeadlessClient.open(s.url, a.workspaceId, s.server.mintToken(a.workspaceId, "editor"), { dir, fsync: false }),
    )
    await again.waitIdle()
    expect((await again.store.getWorkspace(a.workspaceId))?.fatal).toBeUndefined()
    expect(again.status).toMatchObject({ state: "live" })
  })

  it("[C3] the benchmark API: N engines on one workspace, acknowledgements and remote arrival observed", async () => {
    const s = await serve()
    const owner = await client(HeadlessClient.create(s.url, "Bench", { dir: await freshDir(), store: "memory" }))
    const others = await Promise.all(
      [0, 1].map(async () =>
        client(
          HeadlessClient.open(s.url, owner.workspaceId, s.server.mintToken(owner.workspaceId, "editor"), {
            dir: await freshDir(),
            store: "memory",
          }),
        ),
      ),
    )
    await Promise.all([owner, ...others].map((c) => c.waitIdle()))
    const arrived: Array<number> = []
    others[1]!.onRemote((records) => arrived.push(...records.map((r) => r.seq)))
    const acks: Array<number> = []
    owner.onAck((a) => acks.push(...a.map((x) => x.seq)))
    const entries = []
    for (let i = 0; i < 5; i++) entries.push(await owner.edit((d) => d.getMap("tasks").set(`t${i}`, i)))
    const seqs = await Promise.all(entries.map((e) => owner.acked(e.id)))
    expect(seqs).toEqual([1, 2, 3, 4, 5])
    expect(acks).toEqual([1, 2, 3, 4, 5])
    await others[1]!.waitIdle()
    for (let i = 0; i < 200 && arrived.length < 5; i++) await new Promise((r) => setTimeout(r, 10))
    expect([...new Set(arrived)].sort()).toEqual([1, 2, 3, 4, 5])
    expect(others[1]!.doc.toJSON()).toEqual(owner.doc.toJSON())
  })
})

describe("HttpTransport at the trust boundary", () => {
  const setup = async () => {
    const s = await serve()
    const ws = "ws-http-test" as WorkspaceId
    const t = transportFor(s.url, { requestTimeoutMs: 300, pingIntervalMs: 50 })
    const { masterToken } = await t.register(ws, "T", { creatorKey: "ck" })
    const doc = new LoroDoc()
    doc.getMap("m").set("a", 1)
    doc.commit()
    await t.push(masterToken, ws, MAIN_DOC, doc.export({ mode: "update" }), "k1")
    return { s, ws, t, masterToken }
  }

  it("[C9] a garbage pull body is an error, never data", async () => {
    const { s, ws, t, masterToken } = await setup()
    s.faults.garbagePull = 1
    await expect(t.pull(masterToken, ws, MAIN_DOC, 0, 10)).rejects.toMatchObject({ kind: "Internal" })
    const page = await t.pull(masterToken, ws, MAIN_DOC, 0, 10)
    expect(page).toMatchObject({ cursor: 1, more: false })
    expect(page.updates.map((u) => u.seq)).toEqual([1])
  })

  it("[C9] error bodies map to kinds; a hung response times out as Unavailable", async () => {
    const { s, ws, t, masterToken } = await setup()
    const viewer = s.server.mintToken(ws, "viewer")
    await expect(t.push(viewer, ws, MAIN_DOC, new Uint8Array([1]), "k")).rejects.toMatchObject({ kind: "Forbidden" })
    await expect(t.pull("nope", ws, MAIN_DOC, 0, 10)).rejects.toMatchObject({ kind: "Unauthorized" })
    await expect(t.push(masterToken, ws, MAIN_DOC, new Uint8Array([1, 2]), "k2")).rejects.toMatchObject({
      kind: "InvalidUpdate",
    })
    expect(await t.push(masterToken, ws, MAIN_DOC, new Uint8Array([9]), "k1")).toEqual({ seq: 1, duplicate: true })
    await expect(t.register(ws, "T", { creatorKey: "other" })).rejects.toMatchObject({ kind: "Conflict" })
    expect(await t.register(ws, "T", { creatorKey: "ck" })).toEqual({ masterToken })
    s.faults.hangNext = 1
    const hung = await t.snapshot(masterToken, ws, MAIN_DOC).catch((e: unknown) => e)
    expect(hung).toBeInstanceOf(TransportError)
    expect(hung).toMatchObject({ kind: "Unavailable" })
  })

  it("[C10] a socket whose Pongs stop is treated as half-open and closed", async () => {
    const { s, ws, t, masterToken } = await setup()
    const closed = new Promise<unknown>((resolve) => {
      void t.connectLive(masterToken, ws, { onUpdate: () => undefined, onClose: resolve })
    })
    s.faults.mutePongs = true
    expect(await closed).toMatchObject({ kind: "Unavailable", message: expect.stringMatching(/heartbeat/) })
  })

  it("[C6] a bad token is refused at socket auth", async () => {
    const { ws, t } = await setup()
    await expect(
      t.connectLive("nope", ws, { onUpdate: () => undefined, onClose: () => undefined }),
    ).rejects.toMatchObject({
      kind: "Unauthorized",
    })
  })
})
