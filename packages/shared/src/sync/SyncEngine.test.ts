import type { DocId, WorkspaceId } from "@vibestack/schema"
import { describe, expect, it } from "vitest"
import { nextRandom } from "./backoff.js"
import { ManualClock } from "./Clock.js"
import { MemoryServer } from "./MemoryServer.js"
import { MemoryTransport } from "./MemoryTransport.js"
import { Peer } from "./test/Peer.js"

const ws = "ws-engine" as WorkspaceId
const docId = "main" as DocId

const seeded = (seed: number) => {
  let s = seed
  return () => {
    const r = nextRandom(s)
    s = r.seed
    return r.value
  }
}

/** Lets microtask-driven IO run to completion (bounded). */
const settle = async (clock: ManualClock, rounds = 50) => {
  for (let i = 0; i < rounds; i++) {
    await new Promise((r) => setImmediate(r))
    clock.advance(1_000)
  }
}

const world = async (n: number) => {
  const server = new MemoryServer()
  const { masterToken } = server.register(ws, "Team", undefined)
  const clock = new ManualClock()
  const random = seeded(42)
  const peers = Array.from({ length: n }, (_, i) => {
    const transport = new MemoryTransport(server, { random })
    return new Peer({ name: `p${i}`, transport, workspaceId: ws, docId, token: masterToken, clock, random })
  })
  for (const p of peers) await p.start()
  return { server, clock, peers, masterToken }
}

describe("SyncEngine against MemoryServer", () => {
  it("[C5] two peers converge on concurrent offline edits without a wipe", async () => {
    const { server, clock, peers } = await world(2)
    const [a, b] = peers as [Peer, Peer]
    ;(a.o.transport as MemoryTransport).setOnline(false)
    a.engine.setOnline(false)
    await a.edit((d) => d.getMap("m").set("a", 1))
    await b.edit((d) => d.getMap("m").set("b", 2))
    await settle(clock)
    expect(a.engine.getStatus()).toMatchObject({ state: "offline", pending: 1 })
    ;(a.o.transport as MemoryTransport).setOnline(true)
    a.engine.setOnline(true)
    await settle(clock)
    const ref = server.referenceDoc(ws, docId).toJSON()
    expect(ref).toEqual({ m: { a: 1, b: 2 } })
    expect(a.doc.toJSON()).toEqual(ref)
    expect(b.doc.toJSON()).toEqual(ref)
    expect(a.engine.getStatus()).toMatchObject({ state: "live", pending: 0, online: true })
  })

  it("[C4] a push whose response was lost is retried with the same key and stored once", async () => {
    const { server, clock, peers } = await world(1)
    const p = peers[0]!
    await settle(clock)
    ;(p.o.transport as MemoryTransport).failNext("dropAfterCommit")
    await p.edit((d) => d.getText("t").insert(0, "hi"))
    await settle(clock)
    expect(server.log(ws, docId)).toHaveLength(1)
    expect(server.pushCount).toBe(2)
    expect(await p.store.outbox(ws, docId)).toEqual([])
  })

  it("[C6] a revoked token stops the engine with a reason", async () => {
    const { server, clock, peers, masterToken } = await world(1)
    const p = peers[0]!
    await settle(clock)
    await p.store.putWorkspace({
      workspaceId: ws,
      name: "Team",
      serverUrl: "mem",
      token: masterToken,
      role: "master",
      createdAt: 0,
    })
    server.revokeToken(masterToken)
    await settle(clock)
    expect(p.engine.getStatus()).toMatchObject({ state: "stopped", error: { kind: "Unauthorized" } })
    expect((await p.store.getWorkspace(ws))?.fatal).toMatch(/Unauthorized/)
    expect(clock.pendingTimers).toBe(0)
  })
})
