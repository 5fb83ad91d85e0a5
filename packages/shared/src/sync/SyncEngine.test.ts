import type { DocId, WorkspaceId } from "@vibestack/schema"
import { LoroDoc } from "loro-crdt"
import { describe, expect, it } from "vitest"
import { nextRandom } from "./backoff.js"
import { ManualClock } from "./Clock.js"
import { MemoryLock } from "./Lock.js"
import { LoroDocHost } from "./LoroDocHost.js"
import { MemoryLocalStore } from "./MemoryLocalStore.js"
import { MemoryServer } from "./MemoryServer.js"
import { MemoryTransport } from "./MemoryTransport.js"
import { compactionDue, SyncEngine } from "./SyncEngine.js"
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

const world = async (n: number, options: { readonly compactSpread?: number } = {}) => {
  const server = new MemoryServer()
  const { masterToken } = server.register(ws, "Team", undefined)
  const clock = new ManualClock()
  const random = seeded(42)
  const peers = Array.from({ length: n }, (_, i) => {
    const transport = new MemoryTransport(server, { random })
    return new Peer({ name: `p${i}`, transport, workspaceId: ws, docId, token: masterToken, clock, random, ...options })
  })
  for (const p of peers) await p.start()
  return { server, clock, peers, masterToken }
}

/**
 * One peer on a fresh server whose store counts every call by name (in the browser each is an
 * IndexedDB transaction), started; `calls` is emptied with `reset`.
 */
const countedPeer = async (seed: number) => {
  const server = new MemoryServer()
  const { masterToken } = server.register(ws, "Team", undefined)
  const clock = new ManualClock()
  const calls: Record<string, number> = {}
  const inner = new MemoryLocalStore()
  const store = new Proxy(inner, {
    get: (target, name: string) => {
      const f = Reflect.get(target, name) as unknown
      if (typeof f !== "function") return f
      return (...args: Array<unknown>) => {
        calls[name] = (calls[name] ?? 0) + 1
        return (f as (...a: Array<unknown>) => unknown).apply(target, args)
      }
    },
  })
  const p = new Peer({
    name: "p",
    transport: new MemoryTransport(server),
    workspaceId: ws,
    docId,
    token: masterToken,
    clock,
    random: seeded(seed),
    store,
  })
  await p.start()
  await settle(clock)
  const reset = () => {
    for (const k of Object.keys(calls)) delete calls[k]
  }
  return { server, clock, calls, inner, p, reset }
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

  it("[C2] a peer's own commits that come back from the server are neither imported nor stored again; the cursor passes them", async () => {
    const { server, clock, peers } = await world(2)
    const [a, b] = peers as [Peer, Peer]
    const imported: Array<Uint8Array> = []
    const apply = a.host.applyRemote
    ;(a.host as { applyRemote: typeof apply }).applyRemote = (blobs) => {
      imported.push(...blobs)
      apply(blobs)
    }
    await a.edit((d) => d.getMap("m").set("a1", 1))
    await a.edit((d) => d.getMap("m").set("a2", 2))
    await settle(clock)
    await b.edit((d) => d.getMap("m").set("b", 3))
    await settle(clock)
    expect(a.engine.getStatus()).toMatchObject({ pending: 0 })
    // Stored from the server like any update (seq 1 to 3), whoever made them.
    expect([...a.seen.keys()].sort()).toEqual([1, 2, 3])
    // Only b's commit was imported; a's two came back as the same bytes and were only stored.
    expect(imported).toEqual([a.seen.get(3)])
    expect(a.doc.toJSON()).toEqual(server.referenceDoc(ws, docId).toJSON())
    // The log holds each commit once: a's two from its own appends, b's from the server.
    const stored = await a.store.loadDoc(ws, docId)
    expect(stored.cursor).toBe(3)
    expect(stored.updates.map((u) => u.bytes)).toEqual([a.seen.get(1), a.seen.get(2), a.seen.get(3)])
    expect(LoroDocHost.fromStored(stored).doc.toJSON()).toEqual({ m: { a1: 1, a2: 2, b: 3 } })
  })

  it("[C3] a commit pushed on the live socket costs one outbox read, and its acknowledgement brings the outbox's stats", async () => {
    const { server, clock, calls, p, reset } = await countedPeer(5)
    expect(p.engine.getStatus().state).toBe("live")
    reset()
    await p.edit((d) => d.getMap("m").set("x", 1))
    await settle(clock)
    expect(server.cursorOf(ws, docId)).toBe(1)
    expect(p.engine.getStatus().pending).toBe(0)
    // One window read (it came back short of the window: nothing after it), one acknowledgement
    // that returns the stats (no read after it, none when the run ends), one count after the
    // commit, and the cursor moved past the commit's echo.
    expect(calls).toEqual({ appendLocal: 1, outboxStats: 1, outboxWindow: 1, ackOutbox: 1, appendRemote: 1 })
    await p.engine.stop()
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
    expect((await p.store.getWorkspace(ws))?.fatal).toEqual({ kind: "Unauthorized", message: "token revoked" })
    expect(clock.pendingTimers).toBe(0)
  })

  it("[C8] a refused commit moves to the rejected list and later commits still go out", async () => {
    const { server, clock, peers } = await world(1)
    const p = peers[0]!
    await settle(clock)
    await p.engine.recordLocal(new Uint8Array([1, 2, 3]))
    await p.edit((d) => d.getMap("m").set("ok", true))
    await settle(clock)
    const rejected = await p.store.rejectedOutbox(ws, docId)
    expect(rejected.map((r) => [r.error.kind, r.summary])).toEqual([
      ["InvalidUpdate", "an update this device could not read (3 bytes)"],
    ])
    expect(await p.store.outbox(ws, docId)).toEqual([])
    expect(p.engine.getStatus()).toMatchObject({ state: "live", pending: 0, rejected: 1, error: undefined })
    expect(server.referenceDoc(ws, docId).toJSON()).toEqual({ m: { ok: true } })
    expect(LoroDocHost.fromStored(await p.store.loadDoc(ws, docId)).doc.toJSON()).toEqual({ m: { ok: true } })
  })

  it("[C13] a live client whose announcements are lost still gets the updates by its safety poll", async () => {
    const { clock, peers } = await world(2)
    const [a, b] = [peers[0]!, peers[1]!]
    await settle(clock, 5)
    expect(b.engine.getStatus().state).toBe("live")
    ;(b.o.transport as MemoryTransport).faults = { loseLive: 1 }
    await a.edit((d) => d.getMap("m").set("x", 1))
    await settle(clock, 5)
    // Still live, nothing announced: only the safety poll can bring it.
    expect(b.engine.getStatus().state).toBe("live")
    expect(b.doc.toJSON()).toEqual({})
    await settle(clock, 90)
    expect(b.doc.toJSON()).toEqual(a.doc.toJSON())
  })

  it("[C11] compaction keeps the store bounded and the document reloadable", async () => {
    const { clock, peers } = await world(1)
    const p = peers[0]!
    for (let i = 0; i < 20; i++) await p.edit((d) => d.getList("l").push(i))
    await settle(clock)
    const stored = await p.store.loadDoc(ws, docId)
    expect(stored.snapshot).toBeDefined()
    expect(stored.updates.length).toBeLessThan(20)
    expect(LoroDocHost.fromStored(stored).doc.toJSON()).toEqual(p.doc.toJSON())
  })

  it("[C11] a large document's log is squashed, not compacted, until it holds twice a snapshot's bytes", async () => {
    const { clock, peers } = await world(1)
    const p = peers[0]!
    // One large entry (300 KB of text that does not compress), compacted into the snapshot, then
    // small edits on top.
    const random = seeded(7)
    const text = Array.from({ length: 300_000 }, () => String.fromCharCode(33 + Math.floor(random() * 90))).join("")
    await p.edit((d) => d.getText("big").insert(0, text))
    for (let i = 0; i < 7; i++) await p.edit((d) => d.getList("l").push(i))
    await settle(clock)
    const afterBig = await p.store.loadDoc(ws, docId)
    expect(afterBig.snapshot!.length).toBeGreaterThan(300_000)
    // 60 small edits: 60 entries (their echoes are not stored again), squashed every 7 into one.
    for (let i = 0; i < 60; i++) await p.edit((d) => d.getList("l").push(i))
    await settle(clock)
    const stored = await p.store.loadDoc(ws, docId)
    // No whole-document snapshot was written for them, and the log stayed short.
    expect(stored.snapshot).toEqual(afterBig.snapshot)
    expect(stored.updates.length).toBeLessThan(30)
    expect(LoroDocHost.fromStored(stored).doc.toJSON()).toEqual(p.doc.toJSON())
    // Once the log holds twice the snapshot's bytes it is compacted into a new snapshot.
    await p.edit((d) => d.getText("big").insert(0, text.repeat(5)))
    for (let i = 0; i < 7; i++) await p.edit((d) => d.getList("l").push(i))
    await settle(clock)
    const compacted = await p.store.loadDoc(ws, docId)
    expect(compacted.snapshot!.length).toBeGreaterThan(2 * afterBig.snapshot!.length)
    expect(compacted.updates.length).toBeLessThan(14)
    expect(LoroDocHost.fromStored(compacted).doc.toJSON()).toEqual(p.doc.toJSON())
  })

  it("[C11] compactions and squashes read only the log entries they replace, never the stored snapshot", async () => {
    const { clock, calls, inner, p, reset } = await countedPeer(3)
    reset()
    // A large first entry (compacted), then small edits (squashed).
    await p.edit((d) => d.getText("big").insert(0, "x".repeat(200_000)))
    for (let i = 0; i < 40; i++) await p.edit((d) => d.getList("l").push(i))
    await settle(clock)
    expect(calls.compact).toBeGreaterThan(0)
    expect(calls.squash).toBeGreaterThan(0)
    expect(calls.updatesAfter).toBeGreaterThanOrEqual(calls.compact! + calls.squash!)
    expect(calls.loadDoc).toBeUndefined()
    expect(LoroDocHost.fromStored(await inner.loadDoc(ws, docId)).doc.toJSON()).toEqual(p.doc.toJSON())
    await p.engine.stop()
  })

  it("[C11] devices storing the same stream compact at different entries (the spread), within the bounds", async () => {
    // The log length each device's store holds after each of 60 edits made by the first one.
    const logLengths = async (compactSpread: number) => {
      const { clock, peers } = await world(3, { compactSpread })
      const lengths = peers.map(() => [] as Array<number>)
      for (let i = 0; i < 60; i++) {
        await peers[0]!.edit((d) => d.getList("l").push(i))
        await settle(clock, 10)
        for (const [k, p] of peers.entries()) lengths[k]!.push((await p.store.loadDoc(ws, docId)).updates.length)
      }
      for (const p of peers) {
        const stored = await p.store.loadDoc(ws, docId)
        expect(LoroDocHost.fromStored(stored).doc.toJSON()).toEqual(peers[0]!.doc.toJSON())
      }
      return lengths
    }
    // The two receivers store the same stream (the writer also stores its own commits).
    const exact = await logLengths(0)
    expect(exact[2]).toEqual(exact[1])
    const spread = await logLengths(0.5)
    expect(spread[2]).not.toEqual(spread[1])
    // Every 7 entries at least, and at most 1.5 × 7 (a small document: the count rule): a log
    // grows by fewer than 11 entries past what its last compaction or squash left.
    for (const lengths of spread.slice(1)) {
      let left = 0
      for (const [i, n] of lengths.entries()) {
        if (i > 0 && n < lengths[i - 1]!) left = n
        expect(n - left).toBeLessThan(11)
      }
      expect(lengths.filter((n) => n === 0).length).toBeLessThanOrEqual(Math.ceil(60 / 7))
    }
  })

  it("compactionDue: at least `every` fresh entries, then a compaction from twice a snapshot's bytes, else a squash", () => {
    expect(compactionDue({ fresh: 499, bytes: 10_000_000 }, 0, 500)).toBe(undefined)
    expect(compactionDue({ fresh: 500, bytes: 50_000 }, 10_000, 500)).toBe("compact")
    expect(compactionDue({ fresh: 500, bytes: 50_000 }, 2_400_000, 500)).toBe("squash")
    expect(compactionDue({ fresh: 500, bytes: 2_400_000 }, 2_400_000, 500)).toBe("squash")
    expect(compactionDue({ fresh: 500, bytes: 4_800_000 }, 2_400_000, 500)).toBe("compact")
    // Scaled (the spread): every threshold stretches.
    expect(compactionDue({ fresh: 500, bytes: 50_000 }, 10_000, 500, 1.2)).toBe(undefined)
    expect(compactionDue({ fresh: 600, bytes: 50_000 }, 10_000, 500, 1.2)).toBe("compact")
    expect(compactionDue({ fresh: 600, bytes: 4_800_000 }, 2_400_000, 500, 1.2)).toBe("squash")
    expect(compactionDue({ fresh: 600, bytes: 5_760_000 }, 2_400_000, 500, 1.2)).toBe("compact")
  })

  it("[C12] stop clears timers and a second engine on the same lock waits for the first", async () => {
    const server = new MemoryServer()
    const { masterToken } = server.register(ws, "Team", undefined)
    const clock = new ManualClock()
    const lock = new MemoryLock()
    const transport = new MemoryTransport(server)
    transport.setOnline(false)
    const p = new Peer({ name: "a", transport, workspaceId: ws, docId, token: masterToken, clock, random: seeded(1) })
    await p.start()
    await settle(clock, 3)
    expect(p.engine.getStatus().state).toBe("offline")
    const first = await lock.acquire(`vibestack-sync:${ws}:${docId}`)
    let started = false
    const second = SyncEngine.start({
      store: p.store,
      transport,
      host: LoroDocHost.fromStored(await p.store.loadDoc(ws, docId)),
      workspaceId: ws,
      docId,
      token: masterToken,
      clock,
      lock,
    }).then((e) => {
      started = true
      return e
    })
    await settle(clock, 3)
    expect(started).toBe(false)
    await p.engine.stop()
    expect(clock.pendingTimers).toBe(0)
    first()
    const e2 = await second
    expect(started).toBe(true)
    await e2.stop()
    expect(clock.pendingTimers).toBe(0)
  })

  it("[C2] a new device's snapshot is reported as it arrives (onSnapshotFetched), before the engine applies and stores it; then once stored", async () => {
    const { server, clock, peers, masterToken } = await world(1)
    await peers[0]!.edit((d) => d.getMap("m").set("a", 1))
    await settle(clock)
    const store = new MemoryLocalStore()
    const host = LoroDocHost.fromStored(await store.loadDoc(ws, docId))
    const seen: Array<string> = []
    const engine = await SyncEngine.start({
      store,
      transport: new MemoryTransport(server),
      host,
      workspaceId: ws,
      docId,
      token: masterToken,
      clock,
      onSnapshotFetched: (bytes, cursor) => {
        expect(cursor).toBe(1)
        const fetched = new LoroDoc()
        fetched.import(bytes)
        // What the tabs get: the server's document, which this engine has neither applied nor stored yet.
        expect(fetched.toJSON()).toEqual({ m: { a: 1 } })
        expect(host.doc.toJSON()).toEqual({})
        void store.loadDoc(ws, docId).then((d) => seen.push(`fetched, stored cursor ${d.cursor}`))
      },
      onRemoteStored: (records, cursor, viaSnapshot) =>
        seen.push(`stored ${records.length} to ${cursor}, snapshot ${viaSnapshot}`),
    })
    await settle(clock)
    expect(seen.slice(0, 2)).toEqual(["fetched, stored cursor 0", "stored 1 to 1, snapshot true"])
    expect(host.doc.toJSON()).toEqual({ m: { a: 1 } })
    await engine.stop()
    await peers[0]!.engine.stop()
  })

  it("[C2] an engine given the stored document it starts from does not read it again, and resumes from its cursor", async () => {
    const server = new MemoryServer()
    const { masterToken } = server.register(ws, "Team", undefined)
    const clock = new ManualClock()
    const a = new Peer({
      name: "a",
      transport: new MemoryTransport(server),
      workspaceId: ws,
      docId,
      token: masterToken,
      clock,
      random: seeded(3),
    })
    await a.start()
    a.doc.getMap("m").set("x", 1)
    a.doc.commit()
    await settle(clock)
    const b = new Peer({
      name: "b",
      transport: new MemoryTransport(server),
      workspaceId: ws,
      docId,
      token: masterToken,
      clock,
      random: seeded(4),
    })
    await b.start()
    await settle(clock)
    await b.engine.stop()
    const stored = await b.store.loadDoc(ws, docId)
    expect(stored.cursor).toBeGreaterThan(0)
    let reads = 0
    const counting = Object.assign(Object.create(b.store) as typeof b.store, {
      loadDoc: (...args: Parameters<typeof b.store.loadDoc>) => {
        reads++
        return b.store.loadDoc(...args)
      },
    })
    const transport = new MemoryTransport(server)
    const pulls: Array<number> = []
    const watched = Object.assign(Object.create(transport) as MemoryTransport, {
      pull: (...args: Parameters<MemoryTransport["pull"]>) => {
        pulls.push(args[3])
        return transport.pull(...args)
      },
      snapshot: () => Promise.reject(new Error("a device with a cursor needs no snapshot")),
    })
    const engine = await SyncEngine.start({
      store: counting,
      stored,
      transport: watched,
      host: LoroDocHost.fromStored(stored),
      workspaceId: ws,
      docId,
      token: masterToken,
      clock,
    })
    await settle(clock)
    expect(reads).toBe(0)
    expect(pulls[0]).toBe(stored.cursor)
    await engine.stop()
    await a.engine.stop()
  })

  it("[C13] regression (real-server fuzz seed 2): a hanging socket attempt does not stop polling, and an ack that runs ahead of the pull still converges", async () => {
    const server = new MemoryServer()
    const { masterToken } = server.register(ws, "Team", undefined)
    const clock = new ManualClock()
    const random = seeded(2)
    const inner = [new MemoryTransport(server), new MemoryTransport(server)]
    let lagging = true
    // The real server had no socket route yet (upgrades hung) and made a push visible to pulls
    // a little after acknowledging it.
    const flaky = (t: MemoryTransport): MemoryTransport =>
      Object.assign(Object.create(t) as MemoryTransport, {
        connectLive: () => new Promise<never>(() => undefined),
        pull: async (...args: Parameters<MemoryTransport["pull"]>) => {
          const page = await t.pull(...args)
          if (!lagging || page.updates.length === 0) return page
          const visible = page.updates.slice(0, -1)
          return { updates: visible, cursor: visible.at(-1)?.seq ?? args[3], more: false }
        },
      })
    const peers = inner.map(
      (t, i) =>
        new Peer({ name: `r${i}`, transport: flaky(t), workspaceId: ws, docId, token: masterToken, clock, random }),
    )
    for (const p of peers) await p.start()
    await peers[0]!.edit((d) => d.getMap("m").set("a", 1))
    await peers[1]!.edit((d) => d.getMap("m").set("b", 2))
    await settle(clock, 10)
    lagging = false
    await settle(clock, 40)
    const ref = server.referenceDoc(ws, docId).toJSON()
    expect(ref).toEqual({ m: { a: 1, b: 2 } })
    for (const p of peers) {
      expect(p.doc.toJSON()).toEqual(ref)
      expect(p.engine.cursor).toBe(2)
      expect(p.engine.getStatus()).toMatchObject({ state: "live", pending: 0 })
      await p.engine.stop()
    }
  })
})
