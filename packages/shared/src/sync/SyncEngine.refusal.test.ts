import type { DocId, WorkspaceId } from "@vibestack/schema"
import { LoroMap, type LoroText } from "loro-crdt"
import { describe, expect, it } from "vitest"
import { nextRandom } from "./backoff.js"
import { ManualClock } from "./Clock.js"
import { MemoryServer } from "./MemoryServer.js"
import { MemoryTransport } from "./MemoryTransport.js"
import { TransportError } from "./Transport.js"
import { Peer } from "./test/Peer.js"

const ws = "ws-refusal" as WorkspaceId
const docId = "main" as DocId

const seeded = (seed: number) => {
  let s = seed
  return () => {
    const r = nextRandom(s)
    s = r.seed
    return r.value
  }
}

const settle = async (clock: ManualClock, rounds = 60) => {
  for (let i = 0; i < rounds; i++) {
    await new Promise((r) => setImmediate(r))
    clock.advance(1_000)
  }
}

/** The server refuses any task title over 10 characters (as a check by meaning would). */
const strictServer = () => {
  const server = new MemoryServer()
  server.rules.push((after) => {
    const tasks = after.getMap("tasks").toJSON() as Record<string, { title?: string }>
    const long = Object.values(tasks).find((t) => (t.title ?? "").length > 10)
    return long ? `title too long: ${long.title!.length} characters` : undefined
  })
  const { masterToken } = server.register(ws, "Team", undefined)
  return { server, masterToken }
}

const peer = (server: MemoryServer, token: string, clock: ManualClock, name = "a", transport?: MemoryTransport) =>
  new Peer({
    name,
    transport: transport ?? new MemoryTransport(server, { random: seeded(7) }),
    workspaceId: ws,
    docId,
    token,
    clock,
    random: seeded(name.length + 3),
  })

const task = (doc: Peer["doc"], id: string) => doc.getMap("tasks").get(id) as LoroMap

describe("refused changes never stop sync (C14)", () => {
  it("[C14] a refused change in the middle of five: the other four land, and the server equals the device minus the refused one", async () => {
    const { server, masterToken } = strictServer()
    const clock = new ManualClock()
    const transport = new MemoryTransport(server, { random: seeded(1) })
    const a = peer(server, masterToken, clock, "a", transport)
    await a.start()
    await settle(clock, 5)
    transport.setOnline(false)
    a.engine.setOnline(false)
    let resets = 0
    a.host.onReset(() => resets++)
    await a.edit((d) => {
      const t = d.getMap("tasks").setContainer("t1", new LoroMap())
      t.set("title", "one")
      t.ensureMergeableText("desc").insert(0, "hello")
    })
    await a.edit((d) => d.getMap("tasks").setContainer("t2", new LoroMap()).set("title", "two"))
    await a.edit((d) => {
      task(d, "t1").set("title", "far too long a title")
      ;(task(d, "t1").get("desc") as LoroText).insert(5, " PASTE")
    })
    await a.edit((d) => {
      const text = task(d, "t1").get("desc") as LoroText
      text.insert(text.length, " world")
    })
    await a.edit((d) => task(d, "t2").set("status", "done"))
    expect(a.engine.getStatus()).toMatchObject({ pending: 5, oldestPendingAt: expect.any(Number) })
    transport.setOnline(true)
    a.engine.setOnline(true)
    await settle(clock)
    const expected = {
      tasks: { t1: { title: "one", desc: "hello world" }, t2: { title: "two", status: "done" } },
    }
    expect(server.referenceDoc(ws, docId).toJSON()).toEqual(expected)
    expect(a.doc.toJSON()).toEqual(expected)
    expect(server.log(ws, docId)).toHaveLength(4)
    expect(resets).toBe(1)
    const rejected = await a.store.rejectedOutbox(ws, docId)
    expect(rejected.map((r) => r.error.kind)).toEqual(["InvalidUpdate"])
    expect(rejected[0]!.error.message).toMatch(/title too long/)
    expect(rejected[0]!.summary).toContain('tasks/t1/title: set to "far too long a title"')
    expect(a.engine.getStatus()).toMatchObject({ state: "live", pending: 0, rejected: 1, error: undefined })
    // Sync goes on: a later edit is pushed, and the store reloads to the same document.
    await a.edit((d) => task(d, "t1").set("status", "todo"))
    await settle(clock, 10)
    expect(server.referenceDoc(ws, docId).toJSON()).toEqual({
      tasks: { ...expected.tasks, t1: { ...expected.tasks.t1, status: "todo" } },
    })
    await a.restart()
    expect(a.doc.toJSON()).toEqual(server.referenceDoc(ws, docId).toJSON())
  })

  it("[C14] a viewer's forced edits are refused and set aside; remote edits keep arriving; nothing says revoked", async () => {
    const { server, masterToken } = strictServer()
    const clock = new ManualClock()
    const viewerToken = server.mintToken(ws, "viewer")
    const viewer = peer(server, viewerToken, clock, "viewer")
    const editor = peer(server, masterToken, clock, "editor")
    const meta = { workspaceId: ws, name: "Team", serverUrl: "mem", token: viewerToken, role: "viewer" as const }
    await viewer.store.putWorkspace({ ...meta, createdAt: 0 })
    await viewer.start()
    await editor.start()
    await settle(clock, 5)
    for (let i = 0; i < 3; i++) await viewer.edit((d) => d.getMap("notes").set(`n${i}`, i))
    await editor.edit((d) => d.getMap("tasks").setContainer("t1", new LoroMap()).set("title", "by editor"))
    await settle(clock)
    expect(viewer.engine.getStatus()).toMatchObject({ state: "live", pending: 0, rejected: 3 })
    const rejected = await viewer.store.rejectedOutbox(ws, docId)
    expect(rejected.map((r) => [r.error.kind, r.summary])).toEqual([
      ["Forbidden", "notes/n0: set to 0"],
      ["Forbidden", "notes/n1: set to 1"],
      ["Forbidden", "notes/n2: set to 2"],
    ])
    expect(viewer.doc.toJSON()).toEqual(server.referenceDoc(ws, docId).toJSON())
    await editor.edit((d) => task(d, "t1").set("status", "done"))
    await settle(clock, 10)
    expect(viewer.doc.toJSON()).toEqual({ tasks: { t1: { title: "by editor", status: "done" } } })
    expect((await viewer.store.getWorkspace(ws))?.fatal).toBeUndefined()
  })

  it("[C6] a push refused as Forbidden stops sync only when the token itself is no longer valid", async () => {
    const { server, masterToken } = strictServer()
    const clock = new ManualClock()
    const inner = new MemoryTransport(server, { random: seeded(2) })
    const expired = Object.assign(Object.create(inner) as MemoryTransport, {
      connectLive: () => Promise.reject(new TransportError("Unavailable", "no socket here")),
      push: () => Promise.reject(new TransportError("Forbidden", "not allowed")),
      info: () => Promise.reject(new TransportError("Unauthorized", "token expired")),
    })
    const a = peer(server, masterToken, clock, "a", expired)
    await a.store.putWorkspace({
      workspaceId: ws,
      name: "Team",
      serverUrl: "mem",
      token: masterToken,
      role: "master",
      createdAt: 0,
    })
    await a.start()
    await a.edit((d) => d.getMap("m").set("x", 1))
    await settle(clock, 10)
    expect(a.engine.getStatus()).toMatchObject({ state: "stopped", error: { kind: "Unauthorized" } })
    expect((await a.store.getWorkspace(ws))?.fatal).toEqual({ kind: "Unauthorized", message: "token expired" })
    expect(await a.store.outbox(ws, docId)).toHaveLength(1)
  })

  it("[C15] a set-aside change is retried after joining again with a link that may write, or discarded", async () => {
    const { server } = strictServer()
    const clock = new ManualClock()
    const transport = new MemoryTransport(server, { random: seeded(3) })
    const viewer = new Peer({
      name: "v",
      transport,
      workspaceId: ws,
      docId,
      token: server.mintToken(ws, "viewer"),
      clock,
      random: seeded(9),
    })
    await viewer.start()
    await viewer.edit((d) => d.getText("notes").insert(0, "keep me"))
    await viewer.edit((d) => d.getMap("m").set("drop", true))
    await settle(clock)
    const [keep, drop] = await viewer.store.rejectedOutbox(ws, docId)
    expect(viewer.doc.toJSON()).toEqual({})
    // Joined again as an editor: the same store, a new engine with the new token.
    await viewer.engine.stop()
    const editor = new Peer({ ...viewer.o, token: server.mintToken(ws, "editor"), store: viewer.store })
    await editor.start()
    expect(await editor.engine.retryRejected(keep!.id)).toEqual({})
    await editor.engine.discardRejected(drop!.id)
    await settle(clock)
    expect(server.referenceDoc(ws, docId).toJSON()).toEqual({ notes: "keep me" })
    expect(editor.doc.toJSON()).toEqual({ notes: "keep me" })
    expect(await editor.store.rejectedOutbox(ws, docId)).toEqual([])
    expect(editor.engine.getStatus()).toMatchObject({ state: "live", pending: 0, rejected: 0 })
  })

  it("[C3] pushes are pipelined on the socket: many in flight, every one stored once, in order", async () => {
    const { server, masterToken } = strictServer()
    const clock = new ManualClock()
    const transport = new MemoryTransport(server, { random: seeded(4) })
    let inFlight = 0
    let most = 0
    const counting = Object.assign(Object.create(transport) as MemoryTransport, {
      connectLive: async (...args: Parameters<MemoryTransport["connectLive"]>) => {
        const conn = await transport.connectLive(...args)
        return {
          ...conn,
          push: async (...p: Parameters<typeof conn.push>) => {
            most = Math.max(most, ++inFlight)
            try {
              return await conn.push(...p)
            } finally {
              inFlight--
            }
          },
        }
      },
    })
    const a = peer(server, masterToken, clock, "a", counting)
    await a.start()
    await settle(clock, 5)
    expect(a.engine.getStatus().state).toBe("live")
    a.engine.setOnline(false)
    for (let i = 0; i < 100; i++) await a.edit((d) => d.getList("l").push(i))
    a.engine.setOnline(true)
    await settle(clock)
    expect(server.log(ws, docId)).toHaveLength(100)
    expect(server.referenceDoc(ws, docId).getList("l").toJSON()).toEqual(Array.from({ length: 100 }, (_, i) => i))
    expect(most).toBeGreaterThan(1)
    expect(most).toBeLessThanOrEqual(32)
    expect(a.engine.getStatus()).toMatchObject({ state: "live", pending: 0, oldestPendingAt: undefined })
  })
})
