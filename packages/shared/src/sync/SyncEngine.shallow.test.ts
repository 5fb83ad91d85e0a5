import type { DocId, WorkspaceId } from "@vibestack/schema"
import { LoroDoc } from "loro-crdt"
import { describe, expect, it } from "vitest"
import { nextRandom } from "./backoff.js"
import { ManualClock } from "./Clock.js"
import { ShallowImportError } from "./history.js"
import { importBlobs } from "./LoroDocHost.js"
import { MemoryServer } from "./MemoryServer.js"
import { MemoryTransport } from "./MemoryTransport.js"
import type { SnapshotOptions, Transport } from "./Transport.js"
import { Peer } from "./test/Peer.js"

/** SPEC C19: a new device loads the recent history only, and fetches the rest when it must. */

const ws = "ws-shallow" as WorkspaceId
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

const world = (trail: number) => {
  const server = new MemoryServer()
  server.shallowTrail = trail
  const { masterToken } = server.register(ws, "Team", undefined)
  const clock = new ManualClock()
  const random = seeded(7)
  const peer = (name: string, compactEvery?: number) =>
    new Peer({
      name,
      transport: new MemoryTransport(server, { random }),
      workspaceId: ws,
      docId,
      token: masterToken,
      clock,
      random,
      ...(compactEvery === undefined ? {} : { compactEvery }),
    })
  return { server, clock, peer }
}

/** Many edits that leave little state: history a new device does not need. */
const churn = async (p: Peer, rounds: number) => {
  for (let i = 0; i < rounds; i++) {
    await p.edit((d) => {
      const t = d.getText("notes")
      t.insert(0, `draft ${i} `.repeat(20))
      t.delete(0, t.length - 5)
    })
  }
}

const offline = (p: Peer, online: boolean) => {
  ;(p.o.transport as MemoryTransport).setOnline(online)
  p.engine.setOnline(online)
}

/** The options of every snapshot `p` asks its transport for. */
const askedSnapshots = (p: Peer): Array<SnapshotOptions | undefined> => {
  const asked: Array<SnapshotOptions | undefined> = []
  const t = p.o.transport as { snapshot: Transport["snapshot"] }
  const snapshot = t.snapshot
  t.snapshot = (token, w, d, options) => {
    asked.push(options)
    return snapshot(token, w, d, options)
  }
  return asked
}

describe("shallow first load (C19)", () => {
  it("a new device loads a shallow snapshot, smaller than the whole history, and syncs both ways", async () => {
    const { server, clock, peer } = world(2)
    const a = peer("a")
    await a.start()
    await churn(a, 30)
    await settle(clock)
    const full = server.referenceDoc(ws, docId).export({ mode: "snapshot" })

    const c = peer("c", 1_000)
    const asked = askedSnapshots(c)
    await c.start()
    await settle(clock)
    expect(asked).toEqual([{ history: "recent" }])
    expect(c.doc.isShallow()).toBe(true)
    const stored = await c.store.loadDoc(ws, docId)
    const bytes = (stored.snapshot?.length ?? 0) + stored.updates.reduce((n, u) => n + u.bytes.length, 0)
    expect(bytes).toBeLessThan(full.length / 2)
    expect(c.doc.toJSON()).toEqual(server.referenceDoc(ws, docId).toJSON())

    await c.edit((d) => d.getMap("m").set("from", "c"))
    await a.edit((d) => d.getMap("m").set("from-a", 1))
    await settle(clock)
    expect(a.doc.toJSON()).toEqual(c.doc.toJSON())
    expect(c.doc.toJSON()).toEqual(server.referenceDoc(ws, docId).toJSON())
    expect(c.engine.getStatus()).toMatchObject({ state: "live", pending: 0 })
  })

  it("an update built on history before the root makes the device fetch it all; the cursor never goes back", async () => {
    const { server, clock, peer } = world(0)
    const [a, b] = [peer("a"), peer("b")]
    await a.start()
    await b.start()
    await a.edit((d) => d.getMap("m").set("start", 1))
    await settle(clock)
    // b stops seeing the head; a goes on; c joins with a root at the head.
    offline(b, false)
    await churn(a, 5)
    await settle(clock)
    const c = peer("c")
    await c.start()
    await settle(clock)
    expect(c.doc.isShallow()).toBe(true)
    await c.edit((d) => d.getMap("m").set("c", "kept"))

    // b's offline edit depends on ops before c's root: c cannot take it as it is.
    await b.edit((d) => d.getMap("m").set("b", "offline"))
    offline(b, true)
    await settle(clock)

    expect(c.doc.isShallow()).toBe(false)
    const ref = server.referenceDoc(ws, docId).toJSON()
    expect(ref).toMatchObject({ m: { start: 1, c: "kept", b: "offline" } })
    for (const p of [a, b, c]) expect(p.doc.toJSON()).toEqual(ref)
    expect(c.cursors).toEqual([...c.cursors].sort((x, y) => x - y))
    expect(c.engine.getStatus()).toMatchObject({ state: "live", pending: 0, error: undefined })
    // What the store holds is whole too: a restart loads all history.
    await c.restart()
    await settle(clock)
    expect(c.doc.isShallow()).toBe(false)
    expect(c.doc.toJSON()).toEqual(ref)
  })

  it("a device that committed before its first load takes the whole history and keeps its commit", async () => {
    const { server, clock, peer } = world(0)
    const a = peer("a")
    await a.start()
    await churn(a, 3)
    await settle(clock)
    const c = peer("c")
    const asked = askedSnapshots(c)
    ;(c.o.transport as MemoryTransport).setOnline(false)
    await c.start()
    c.engine.setOnline(false)
    await c.edit((d) => d.getMap("m").set("early", true))
    asked.length = 0
    offline(c, true)
    await settle(clock)
    expect(c.doc.isShallow()).toBe(false)
    expect(c.doc.toJSON()).toEqual(server.referenceDoc(ws, docId).toJSON())
    expect(server.referenceDoc(ws, docId).toJSON()).toMatchObject({ m: { early: true } })
    // Asked for the whole history at once, not a shallow snapshot it would have to replace.
    expect(asked).toEqual([undefined])
  })

  it("loadFullHistory makes a shallow device whole: versions before the root can be read", async () => {
    const { server, clock, peer } = world(1)
    const a = peer("a")
    await a.start()
    await a.edit((d) => d.getText("notes").insert(0, "first"))
    const early = a.doc.oplogFrontiers()
    await churn(a, 4)
    await settle(clock)
    const c = peer("c", 3)
    await c.start()
    await settle(clock)
    expect(c.doc.isShallow()).toBe(true)
    expect(() => c.doc.checkout(early)).toThrow()
    c.doc.checkoutToLatest()

    await c.engine.loadFullHistory()
    expect(c.doc.isShallow()).toBe(false)
    c.doc.checkout(early)
    expect(c.doc.getText("notes").toString()).toBe("first")
    c.doc.checkoutToLatest()
    // Syncing goes on, compaction included (every 3 stored updates here).
    await churn(a, 4)
    await settle(clock)
    expect(c.doc.toJSON()).toEqual(server.referenceDoc(ws, docId).toJSON())
    await c.restart()
    expect(c.doc.isShallow()).toBe(false)
  })

  it("a shallow device restarts from its store (compacted or not) and keeps syncing", async () => {
    const { server, clock, peer } = world(1)
    const a = peer("a")
    await a.start()
    await churn(a, 6)
    await settle(clock)
    const c = peer("c", 3)
    await c.start()
    await settle(clock)
    await churn(a, 5)
    await c.edit((d) => d.getMap("m").set("c", 1))
    await settle(clock)
    await c.restart()
    await settle(clock)
    expect(c.doc.isShallow()).toBe(true)
    await a.edit((d) => d.getMap("m").set("a", 2))
    await settle(clock)
    expect(c.doc.toJSON()).toEqual(server.referenceDoc(ws, docId).toJSON())
    expect(a.doc.toJSON()).toEqual(c.doc.toJSON())
  })
})

describe("importBlobs and shallow snapshots", () => {
  const source = () => {
    const d = new LoroDoc()
    d.getText("t").insert(0, "hello")
    d.commit()
    return d.export({ mode: "shallow-snapshot", frontiers: d.oplogFrontiers() })
  }

  it("refuses a shallow snapshot into a document with ops of its own (Loro would import nothing)", () => {
    const mine = new LoroDoc()
    mine.getMap("m").set("x", 1)
    mine.commit()
    expect(() => importBlobs(mine, [source()])).toThrow(ShallowImportError)
    expect(mine.toJSON()).toEqual({ m: { x: 1 } })
  })

  it("takes it into an empty document, and again into the document made from it", () => {
    const bytes = source()
    const doc = new LoroDoc()
    importBlobs(doc, [bytes])
    expect(doc.toJSON()).toEqual({ t: "hello" })
    expect(() => importBlobs(doc, [bytes])).not.toThrow()
  })
})
