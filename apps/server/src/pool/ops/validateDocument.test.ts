import { readFileSync } from "node:fs"
import { LoroDoc, LoroMap } from "loro-crdt"
import { afterEach, describe, expect, it } from "vitest"
import { LoroPool } from "../LoroPool.js"
import { PoolError } from "../PoolError.js"
import { MemoryDocSource } from "../test/MemoryDocSource.js"

const poisoning = new Uint8Array(
  readFileSync(new URL("../../test/fixtures/poisoning-update-seed-17819.bin", import.meta.url)),
)
const SCRATCH = ["~test", "validate"] as const

const pools: Array<LoroPool> = []
const makePool = () => {
  const pool = new LoroPool({ workers: 1, maxDocsPerWorker: 4, source: new MemoryDocSource() })
  pools.push(pool)
  return pool
}
afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.close()))
})

/** The verdict, with a pool refusal (a Loro panic in the worker) as `{ ok: false }` too. */
const verdict = (pool: LoroPool, args: { snapshot?: Uint8Array; updates: Array<Uint8Array> }) =>
  pool.run(...SCRATCH, "validateDocument", args).catch((e: unknown) => {
    if (e instanceof PoolError && e.kind === "Internal") return { ok: false as const, reason: e.message }
    throw e
  })

const edits = (n: number) => {
  const doc = new LoroDoc()
  doc.setPeerId(7n)
  const out: Array<Uint8Array> = []
  for (let i = 0; i < n; i++) {
    const before = doc.oplogVersion()
    doc.getMap("tasks").setContainer(`t${i}`, new LoroMap()).set("title", `task ${i}`)
    doc.commit()
    out.push(doc.export({ mode: "update", from: before }))
  }
  return { doc, updates: out }
}

describe("validateDocument (pool op)", () => {
  it("[S25] refuses a document outside the workspace layout, naming the op", async () => {
    const pool = makePool()
    const doc = new LoroDoc()
    doc.getList("log").push("entry")
    doc.commit()
    const r = await verdict(pool, { updates: [doc.export({ mode: "update" })] })
    expect(r).toEqual({ ok: false, reason: expect.stringMatching(/cid:root-log:List.*not part of the layout/) })
  })

  it("[S23] accepts a healthy document, from a snapshot and from updates", async () => {
    const pool = makePool()
    const { doc, updates } = edits(5)
    expect(await verdict(pool, { updates })).toEqual({ ok: true })
    expect(await verdict(pool, { snapshot: doc.export({ mode: "snapshot" }), updates: [] })).toEqual({ ok: true })
  })

  it("[S23] refuses the poisoning update that the old health check let through, and the worker recovers", async () => {
    const pool = makePool()
    const r = await verdict(pool, { updates: [poisoning] })
    expect(r.ok).toBe(false)
    // Refused by meaning (S25: its root `rows` is not the layout) before any snapshot round trip.
    expect(r).toMatchObject({ reason: expect.stringMatching(/not part of the layout/) })
    expect(await verdict(pool, { updates: edits(2).updates })).toEqual({ ok: true })
  })

  it("[S23] refuses updates whose dependencies are missing, naming which one", async () => {
    const pool = makePool()
    const { updates } = edits(3)
    const r = await verdict(pool, { updates: [updates[0]!, updates[2]!] })
    expect(r).toEqual({ ok: false, reason: "update 2 depends on operations the document does not have" })
  })
})
