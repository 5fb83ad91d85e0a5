/**
 * Cost of validating a push (S25, validation by meaning) against the document's size: workspace
 * documents of 10, 10,000 and 100,000 tasks (seeded through the schema's helpers), pushes that
 * each edit one task (a field, or typing in its description), as the web app sends them.
 * Printed beside a bare `doc.import` of the same pushes (the floor), all from one run:
 *   - validateBatch in process: import + validateBatch, minus the bare import, per push;
 *   - the pool: one `validate` call per push, and batches of 10 (worker round trip included);
 *   - where validation's time goes: the median of each `validateBatch` step, in process.
 * Run: node --import tsx bench/pool-validate.ts [sizes]   (prints medians; timings never gate tests)
 */
import { seedWorkspace, setTaskDescription, updateTask } from "@vibestack/schema"
import { LoroPool } from "@vibestack/server/src/pool/LoroPool.js"
import { MemoryDocSource } from "@vibestack/server/src/pool/test/MemoryDocSource.js"
import {
  type ValidationStep,
  validateBatch,
  validationSteps,
} from "@vibestack/server/src/pool/validate/validateBatch.js"
import { LoroDoc } from "loro-crdt"

const median = (xs: Array<number>) => xs.slice().sort((a, b) => a - b)[xs.length >> 1]!
const sizes = (process.argv[2] ?? "10,10000,100000").split(",").map(Number)
const SINGLE = 40
const BATCH = 10
const BATCHES = 4

const rows: Array<{ n: number; bare: number; inProcess: number; single: number; batched: number; steps: string }> = []
// The first size measured pays the JIT's warm-up: measure a small document once, unprinted.
for (const [run, n] of [10, ...sizes].entries()) {
  const writer = new LoroDoc()
  writer.setPeerId(1n)
  seedWorkspace(writer, { projects: Math.max(1, Math.ceil(n / 1000)), tasks: n, comments: 0, seed: 1 })
  const snapshot = writer.export({ mode: "snapshot" })
  const ids = writer.getMap("tasks").keys()
  const pushes = Array.from({ length: 2 * SINGLE + BATCH * BATCHES }, (_, k) => {
    const from = writer.oplogVersion()
    const id = ids[(k * 7919) % ids.length]!
    if (k % 3 === 2) setTaskDescription(writer, id, `typed in push ${k}`, { now: 1 })
    else updateTask(writer, id, { title: `edit ${k}` }, { now: 1 })
    writer.commit()
    return writer.export({ mode: "update", from })
  })

  // The floor: a bare import of the same pushes into a trusted in-process copy.
  const bare = LoroDoc.fromSnapshot(snapshot)
  const bareTimes = pushes.slice(0, SINGLE).map((p) => {
    const t = performance.now()
    bare.import(p)
    return performance.now() - t
  })
  // Validation in process, on a second copy: the same imports plus validateBatch.
  const checked = LoroDoc.fromSnapshot(snapshot)
  const stepTimes = new Map<ValidationStep, Array<number>>(validationSteps.map((s) => [s, []]))
  const checkedTimes = pushes.slice(0, SINGLE).map((p) => {
    const t = performance.now()
    const from = checked.oplogVersion()
    checked.import(p)
    validateBatch(checked, from, [p], (step, ms) => stepTimes.get(step)!.push(ms))
    return performance.now() - t
  })

  const source = new MemoryDocSource()
  source.compact("bench", "doc", snapshot, 0)
  source.append("bench", "doc", pushes.slice(0, SINGLE))
  const pool = new LoroPool({ workers: 1, maxDocsPerWorker: 4, source, callTimeoutMs: 600_000 })
  await pool.run("bench", "doc", "versionInfo", undefined) // load outside the timings
  let seq = SINGLE
  const single: Array<number> = []
  for (const p of pushes.slice(SINGLE, 2 * SINGLE)) {
    const t = performance.now()
    const [r] = await pool.validate("bench", "doc", [p])
    single.push(performance.now() - t)
    if (!r!.ok) throw new Error(`valid push refused: ${r!.reason}`)
    await pool.markCommitted("bench", "doc", ++seq)
  }
  const batched: Array<number> = []
  for (let b = 0; b < BATCHES; b++) {
    const batch = pushes.slice(2 * SINGLE + b * BATCH, 2 * SINGLE + (b + 1) * BATCH)
    const t = performance.now()
    const rs = await pool.validate("bench", "doc", batch)
    batched.push((performance.now() - t) / BATCH)
    if (!rs.every((r) => r.ok)) throw new Error("valid batch refused")
    await pool.markCommitted("bench", "doc", (seq += BATCH))
  }
  await pool.close()
  const row = {
    n,
    bare: median(bareTimes),
    inProcess: Math.max(0, median(checkedTimes) - median(bareTimes)),
    single: median(single),
    batched: median(batched),
    steps: validationSteps.map((s) => `${s} ${median(stepTimes.get(s)!).toFixed(3)}`).join(", "),
  }
  if (run === 0) continue
  rows.push(row)
  console.log(
    `${String(n).padStart(7)} tasks  bare import ${row.bare.toFixed(3)} ms  ` +
      `validation in process +${row.inProcess.toFixed(3)} ms  ` +
      `pool single ${row.single.toFixed(2)} ms  pool batch of ${BATCH} ${row.batched.toFixed(2)} ms/push\n` +
      `         in-process steps (median ms per push): ${row.steps}`,
  )
}
const [small, large] = [rows[0], rows.at(-1)]
if (small !== undefined && large !== undefined && large !== small)
  console.log(
    `validation cost per push at ${large.n} vs ${small.n} tasks: in process x${(large.inProcess / small.inProcess).toFixed(2)}, ` +
      `pool single x${(large.single / small.single).toFixed(2)}, pool batch x${(large.batched / small.batched).toFixed(2)} (target ≤ 3)`,
  )
