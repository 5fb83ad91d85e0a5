import { LoroDoc } from "loro-crdt"
import { afterEach, describe, expect, it } from "vitest"
import { LoroPool } from "./LoroPool.js"
import { MemoryDocSource } from "./test/MemoryDocSource.js"
import { TestClient } from "./test/testFixtures.js"

const pools: Array<LoroPool> = []
const makePool = (workers = 2, maxDocsPerWorker = 8) => {
  const source = new MemoryDocSource()
  const pool = new LoroPool({ workers, maxDocsPerWorker, source })
  pools.push(pool)
  return { pool, source }
}
afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.close()))
})

/** What the byte store does: validate, append what passed, tell the pool. */
const push = async (pool: LoroPool, source: MemoryDocSource, ws: string, doc: string, blobs: Array<Uint8Array>) => {
  const results = await pool.validate(ws, doc, blobs)
  const ok = blobs.filter((_, i) => results[i]!.ok)
  if (ok.length > 0) await pool.markCommitted(ws, doc, source.append(ws, doc, ok))
  return results
}

describe("LoroPool", () => {
  it("accepts valid updates and answers toJSON and versionInfo at the committed state", async () => {
    const { pool, source } = makePool()
    const client = new TestClient(11n)
    expect(await push(pool, source, "w1", "main", [client.addEntities(0, 3)])).toEqual([{ ok: true }])
    expect(
      await push(pool, source, "w1", "main", [client.edit((e) => e.delete("e1")), client.addEntities(3, 1)]),
    ).toEqual([{ ok: true }, { ok: true }])
    const { json, seq } = await pool.run("w1", "main", "toJSON", undefined)
    expect(json).toEqual(client.doc.toJSON())
    expect(seq).toBe(3)
    const info = await pool.run("w1", "main", "versionInfo", undefined)
    expect(info.versionVector).toEqual({ "11": client.doc.oplogVersion().get("11") })
    expect(info.changeCount).toBe(client.doc.changeCount())
    expect(pool.stats()).toMatchObject({ validated: 3, refused: 0, recycles: 0 })
  })

  it("loads a copy from blobs the source keeps: large ones are moved to the worker as copies, never taken from the source", async () => {
    // A document over the move size (64 KB) in its snapshot and in an update, loaded twice (a
    // cache of one document per worker evicts it): the source's own buffers stay whole.
    const { pool, source } = makePool(1, 1)
    const client = new TestClient(31n)
    const big = client.addEntities(0, 3000)
    expect(big.byteLength).toBeGreaterThan(64 * 1024)
    expect(await push(pool, source, "w1", "main", [big])).toEqual([{ ok: true }])
    source.compact("w1", "main", client.doc.export({ mode: "snapshot" }), 1)
    const more = client.addEntities(3000, 3000)
    expect(await push(pool, source, "w1", "main", [more])).toEqual([{ ok: true }])
    const kept = await source.load("w1", "main")
    const sizes = [kept.snapshot!.byteLength, ...kept.updates.map((u) => u.bytes.byteLength)]
    for (const round of [0, 1]) {
      // Another document takes the worker's only slot; the next call loads w1 from the source.
      await push(pool, source, `other${round}`, "main", [new TestClient(40n + BigInt(round)).addEntities(0, 1)])
      const { json } = await pool.run("w1", "main", "toJSON", undefined)
      expect(json).toEqual(client.doc.toJSON())
    }
    expect(source.loads).toBeGreaterThanOrEqual(3)
    const after = await source.load("w1", "main")
    expect([after.snapshot!.byteLength, ...after.updates.map((u) => u.bytes.byteLength)]).toEqual(sizes)
  })

  it("runs an operation on many documents in one call, each answering on its own", async () => {
    // Two workers and a cache of one document each: most of the documents have left their
    // worker by the time runMany reaches them, and are run again alone (loaded from the source).
    const { pool, source } = makePool(2, 1)
    const clients = [21n, 22n, 23n].map((peer) => new TestClient(peer))
    for (const [i, c] of clients.entries()) await push(pool, source, `w${i}`, "main", [c.addEntities(0, i + 1)])
    const many = await pool.runMany(
      clients.map((_, i) => ({ ws: `w${i}`, doc: "main", op: "toJSON" as const, args: undefined })),
    )
    expect(many.map((r) => (r.ok ? r.value.json : r.error))).toEqual(clients.map((c) => c.doc.toJSON()))
    // An operation that fails fails for its document only.
    const mixed = await pool.runMany([
      { ws: "w0", doc: "main", op: "toJSON" as const, args: undefined },
      { ws: "w1", doc: "main", op: "noSuchOp" as "toJSON", args: undefined },
    ])
    expect(mixed[0]).toMatchObject({ ok: true, value: { seq: 1 } })
    expect(mixed[1]).toMatchObject({ ok: false, error: { kind: "Internal" } })
    expect(String(!mixed[1]!.ok && mixed[1]!.error.message)).toMatch(/unknown pool operation/)
  })

  it("exports an honest snapshot: validated-but-uncommitted updates are not in it", async () => {
    const { pool, source } = makePool(1)
    const client = new TestClient(12n)
    await push(pool, source, "w1", "main", [client.addEntities(0, 2)])
    const committedJson = client.doc.toJSON()
    expect(await pool.validate("w1", "main", [client.addEntities(2, 1)])).toEqual([{ ok: true }])
    const snap = await pool.exportSnapshot("w1", "main")
    expect(snap.seq).toBe(1)
    const fresh = new LoroDoc()
    fresh.import(snap.bytes)
    expect(fresh.toJSON()).toEqual(committedJson)
    expect((await pool.run("w1", "main", "toJSON", undefined)).json).toEqual(committedJson)
    // The commit fails: the copy is dropped and reloads without the update.
    await pool.discard("w1", "main")
    expect((await pool.run("w1", "main", "toJSON", undefined)).json).toEqual(committedJson)
  })

  it("commits in order and exports the committed snapshot after markCommitted", async () => {
    const { pool, source } = makePool(1)
    const client = new TestClient(13n)
    await push(pool, source, "w1", "main", [client.addEntities(0, 5)])
    await push(pool, source, "w1", "main", [client.addEntities(5, 5)])
    const snap = await pool.exportSnapshot("w1", "main")
    expect(snap.seq).toBe(2)
    // From the worker's copy: its commit marks (posted, no answer awaited) arrived before the
    // export. A copy still holding an uncommitted batch would be rebuilt from the source.
    expect(source.loads).toBe(1)
    const fresh = new LoroDoc()
    fresh.import(snap.bytes)
    expect(fresh.toJSON()).toEqual(client.doc.toJSON())
  })

  it("buildSnapshot builds from stored bytes on a throwaway doc", async () => {
    const { pool } = makePool(1)
    const client = new TestClient(14n)
    const a = client.addEntities(0, 2)
    const b = client.addEntities(2, 2)
    const bytes = await pool.buildSnapshot(undefined, [a, b])
    const again = await pool.buildSnapshot(bytes, [])
    const fresh = new LoroDoc()
    fresh.import(again)
    expect(fresh.toJSON()).toEqual(client.doc.toJSON())
  })

  it("refuses updates whose dependencies the server does not have", async () => {
    const { pool, source } = makePool(1)
    const client = new TestClient(15n)
    client.addEntities(0, 1) // never pushed
    expect((await push(pool, source, "w1", "main", [client.addEntities(1, 1)]))[0]).toMatchObject({ ok: false })
  })

  it("validates concurrently on different docs", async () => {
    const { pool, source } = makePool(2)
    const clients = Array.from({ length: 6 }, (_, i) => new TestClient(BigInt(100 + i)))
    await Promise.all(
      clients.map(async (c, i) => {
        for (let round = 0; round < 4; round++) {
          const r = await push(pool, source, "w", `doc${i}`, [c.addEntities(round * 2, 2)])
          expect(r).toEqual([{ ok: true }])
        }
      }),
    )
    for (const [i, c] of clients.entries()) {
      expect((await pool.run("w", `doc${i}`, "toJSON", undefined)).json).toEqual(c.doc.toJSON())
    }
  })

  it("evicts least recently used docs and reloads them from the source", async () => {
    const { pool, source } = makePool(1, 2)
    const clients = Array.from({ length: 5 }, (_, i) => new TestClient(BigInt(200 + i)))
    for (const [i, c] of clients.entries()) await push(pool, source, "w", `d${i}`, [c.addEntities(0, 3)])
    const loadedBefore = pool.stats().docsLoaded
    expect(loadedBefore).toBe(5)
    for (const [i, c] of clients.entries()) {
      await push(pool, source, "w", `d${i}`, [c.addEntities(3, 1)])
      expect((await pool.run("w", `d${i}`, "toJSON", undefined)).json).toEqual(c.doc.toJSON())
    }
    expect(pool.stats().docsLoaded).toBe(10)
  })

  it("reloads from a compacted source (snapshot plus later log)", async () => {
    const { pool, source } = makePool(1, 1)
    const client = new TestClient(16n)
    await push(pool, source, "w", "a", [client.addEntities(0, 3)])
    await push(pool, source, "w", "a", [client.addEntities(3, 3)])
    const snap = await pool.exportSnapshot("w", "a")
    source.compact("w", "a", snap.bytes, snap.seq)
    await push(pool, source, "w", "a", [client.addEntities(6, 1)])
    await push(pool, source, "w", "other", [new TestClient(17n).addEntities(0, 1)]) // evicts "a"
    expect((await pool.run("w", "a", "toJSON", undefined)).json).toEqual(client.doc.toJSON())
    expect((await pool.exportSnapshot("w", "a")).seq).toBe(3)
  })

  it("importStored imports stored bytes (a snapshot, updates) and still refuses what does not import", async () => {
    const { pool, source } = makePool(1)
    const client = new TestClient(18n)
    client.addEntities(0, 3)
    const snapshot = client.doc.export({ mode: "snapshot" })
    const later = client.addEntities(3, 2)
    const orphan = new TestClient(19n)
    orphan.addEntities(0, 1)
    const missingDeps = orphan.addEntities(1, 1) // depends on ops the copy never saw
    const garbage = new TextEncoder().encode("not a loro update")
    const results = await pool.importStored("w", "d", [snapshot, garbage, later, missingDeps])
    expect(results.map((r) => r.ok)).toEqual([true, false, true, false])
    // Uncommitted until markCommitted, like validate.
    expect((await pool.run("w", "d", "toJSON", undefined)).json).toEqual({})
    await pool.markCommitted("w", "d", source.append("w", "d", [snapshot, later]))
    expect((await pool.run("w", "d", "toJSON", undefined)).json).toEqual(client.doc.toJSON())
    expect(pool.stats()).toMatchObject({ validated: 2, refused: 2, recycles: 0 })
  })
})
