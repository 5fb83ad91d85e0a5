import { LoroDoc } from "loro-crdt"
import { afterEach, describe, expect, it } from "vitest"
import { checkPushBlob } from "../store/blobHeader.js"
import { LoroPool } from "./LoroPool.js"
import { MemoryDocSource } from "./test/MemoryDocSource.js"
import { loadHostileFixtures, TestClient } from "./test/testFixtures.js"

const { base, hostile } = loadHostileFixtures()
const pools: Array<LoroPool> = []
const makePool = (workers = 1) => {
  const source = new MemoryDocSource()
  const pool = new LoroPool({ workers, maxDocsPerWorker: 8, source })
  pools.push(pool)
  return { pool, source }
}
afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.close()))
})

const push = async (pool: LoroPool, source: MemoryDocSource, ws: string, doc: string, blobs: Array<Uint8Array>) => {
  const results = await pool.validate(ws, doc, blobs)
  const ok = blobs.filter((_, i) => results[i]!.ok)
  if (ok.length > 0) await pool.markCommitted(ws, doc, source.append(ws, doc, ok))
  return results
}

/** The copy is healthy: its snapshot loads in a fresh document and reads as expected. */
const expectHealthy = async (pool: LoroPool, ws: string, doc: string, expected: unknown) => {
  const snap = await pool.exportSnapshot(ws, doc)
  const fresh = new LoroDoc()
  fresh.import(snap.bytes)
  expect(fresh.toJSON()).toEqual(expected)
  expect((await pool.run(ws, doc, "toJSON", undefined)).json).toEqual(expected)
}

describe("LoroPool against hostile blobs", () => {
  it("[S5] refuses every fixture, on an empty doc and on a doc with content, and stays healthy", {
    timeout: 400_000,
  }, async () => {
    const { pool, source } = makePool()
    const client = new TestClient(21n)
    await push(pool, source, "w", "full", [client.addEntities(0, 5)])
    const expected = client.doc.toJSON()
    for (const { name, bytes } of hostile) {
      expect(checkPushBlob(bytes).ok, name).toBe(true) // only the pool can catch these
      expect(await pool.validate("w", "empty", [bytes]), name).toMatchObject([
        { ok: false, reason: expect.any(String) },
      ])
      expect(await pool.validate("w", "full", [bytes]), name).toMatchObject([{ ok: false, reason: expect.any(String) }])
    }
    expect(pool.stats().refused).toBe(hostile.length * 2)
    expect(pool.stats().recycles).toBeGreaterThan(0)
    await expectHealthy(pool, "w", "full", expected)
    // The unmutated base update is valid Loro but not the workspace layout (root `rows`, lists, a
    // tree): refused by meaning, without a crash; a valid workspace update still goes in.
    const [refused] = await push(pool, source, "w", "empty", [base])
    expect(refused).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/cid:root-rows:Map.*not part of the layout/),
    })
    const other = new TestClient(25n)
    expect(await push(pool, source, "w", "empty", [other.addEntities(0, 2)])).toEqual([{ ok: true }])
    await expectHealthy(pool, "w", "empty", other.doc.toJSON())
  })

  it("refuses the hostile blobs of a mixed batch and keeps the valid ones, in order", async () => {
    const { pool, source } = makePool()
    const client = new TestClient(22n)
    const batch = [client.addEntities(0, 1), hostile[0]!.bytes, client.addEntities(1, 1), hostile.at(-1)!.bytes]
    batch.push(client.addEntities(2, 1))
    const results = await push(pool, source, "w", "d", batch)
    expect(results.map((r) => r.ok)).toEqual([true, false, true, false, true])
    await expectHealthy(pool, "w", "d", client.doc.toJSON())
    expect((await pool.exportSnapshot("w", "d")).seq).toBe(3)
  })

  // Each crash recycles a worker (a fresh thread compiling through tsx): a minute and a half on a
  // loaded 2-core machine, so a generous bound; it is not a timing check.
  it("[S5] survives hundreds of hostile blobs in a row and keeps serving valid pushes", {
    timeout: 400_000,
  }, async () => {
    const { pool, source } = makePool(2)
    const client = new TestClient(23n)
    const rssBefore = process.memoryUsage().rss
    for (let i = 0; i < 200; i++) {
      const { name, bytes } = hostile[i % hostile.length]!
      expect(await pool.validate("w", `d${i % 3}`, [bytes]), name).toMatchObject([{ ok: false }])
      if (i % 50 === 0)
        expect(await push(pool, source, "w", "good", [client.addEntities(i, 1)])).toEqual([{ ok: true }])
    }
    expect(pool.stats().recycles).toBeGreaterThan(30)
    expect(await push(pool, source, "w", "good", [client.addEntities(1000, 1)])).toEqual([{ ok: true }])
    await expectHealthy(pool, "w", "good", client.doc.toJSON())
    // Recycled workers give their WebAssembly memory back: a loose bound, not a timing.
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(1024 * 1024 * 1024)
  })
})
