/**
 * Cost of validating a push in the isolated Loro pool vs a bare `doc.import`, on documents
 * of 10, 10,000 and 100,000 entities (child maps of the root map "entities", 3 fields each).
 * Run: node --import tsx bench/pool-validate.ts   (prints medians; timings never gate tests)
 */
import { LoroDoc } from "loro-crdt"
import { LoroPool } from "../apps/server/src/pool/LoroPool.js"
import { MemoryDocSource } from "../apps/server/src/pool/MemoryDocSource.js"
import { TestClient } from "../apps/server/src/pool/testFixtures.js"

const median = (xs: Array<number>) => xs.slice().sort((a, b) => a - b)[xs.length >> 1]!
const sizes = (process.argv[2] ?? "10,10000,100000").split(",").map(Number)
const SINGLE = 15
const BATCH = 10
const BATCHES = 3

for (const n of sizes) {
  const client = new TestClient(1n)
  for (let i = 0; i < n; i += 5000) client.addEntities(i, Math.min(5000, n - i))
  const snapshot = client.doc.export({ mode: "snapshot" })
  const pushes = Array.from({ length: SINGLE + BATCH * BATCHES }, (_, k) =>
    client.edit((e) => {
      const m = e.get(`e${(k * 7919) % n}`) as { set(k: string, v: unknown): void }
      m.set("title", `edit ${k}`)
    }),
  )

  // Peer: a bare import of the same pushes into a trusted in-process copy.
  const bare = new LoroDoc()
  bare.import(snapshot)
  const bareTimes = pushes.map((p) => {
    const t = performance.now()
    bare.import(p)
    return performance.now() - t
  })

  const source = new MemoryDocSource()
  source.compact("bench", "doc", snapshot, 0)
  const pool = new LoroPool({ workers: 1, maxDocsPerWorker: 4, source, callTimeoutMs: 120_000 })
  await pool.run("bench", "doc", "versionInfo", undefined) // load outside the timings
  let seq = 1
  const single: Array<number> = []
  for (const p of pushes.slice(0, SINGLE)) {
    const t = performance.now()
    const [r] = await pool.validate("bench", "doc", [p])
    single.push(performance.now() - t)
    if (!r!.ok) throw new Error(`valid push refused: ${r!.reason}`)
    await pool.markCommitted("bench", "doc", seq++)
  }
  const batched: Array<number> = []
  for (let b = 0; b < BATCHES; b++) {
    const batch = pushes.slice(SINGLE + b * BATCH, SINGLE + (b + 1) * BATCH)
    const t = performance.now()
    const rs = await pool.validate("bench", "doc", batch)
    batched.push((performance.now() - t) / BATCH)
    if (!rs.every((r) => r.ok)) throw new Error("valid batch refused")
    await pool.markCommitted("bench", "doc", seq++)
  }
  await pool.close()
  const b = median(bareTimes)
  const s = median(single)
  const m = median(batched)
  console.log(
    `${String(n).padStart(7)} entities  bare import ${b.toFixed(2)} ms  ` +
      `pool single ${s.toFixed(2)} ms (x${(s / b).toFixed(0)})  ` +
      `pool batch of ${BATCH} ${m.toFixed(2)} ms/push (x${(m / b).toFixed(0)})`,
  )
}
