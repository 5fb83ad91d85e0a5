/**
 * Issues 14 and 15: what a device's local compaction costs, by kind, at a workspace's size. The
 * sync engine (`SyncEngine`, C11) keeps the document's local log short: a compaction exports the
 * whole document as a snapshot (O(the document)); a squash exports only the changes since the
 * last compaction or squash as one update (O(those changes)). Both run on the engine's thread:
 * the web app's sync worker, a headless client's event loop; nothing else syncs meanwhile.
 *
 * Per size: a workspace seeded with the schema's helpers and loaded from its snapshot (as a
 * device opens it), then `edits` task edits from 5 devices imported as a device receives them,
 * then each kind timed (bare Loro calls, the same ones the engine makes), median of `runs`.
 *
 * Run: node --import tsx bench/local-compaction.ts [sizes=1000,10000,30000] [edits=500] [runs=3]
 * (100,000 takes over 15 minutes here: the seed parts and the devices' first edits are imports
 * concurrent with a large document, which Loro pays for with a whole-history decode each time.)
 */
import { createTask, seedWorkspace, type TaskId, updateTask } from "@vibestack/schema"
import { fmt, median, table } from "@vibestack/server/src/test/stats.js"
import { growLoroMemoryInSteps } from "@vibestack/shared"
import * as loro from "loro-crdt"
import { LoroDoc } from "loro-crdt"

const sizes = (process.argv[2] ?? "1000,10000,30000").split(",").map(Number)
const edits = Number(process.argv[3] ?? 500)
const runs = Number(process.argv[4] ?? 3)

growLoroMemoryInSteps(loro)

/**
 * A workspace of `tasks` tasks as a snapshot: written in parts of 5,000 on top of its projects
 * and members (as `vibestack workspace seed` does: Loro writes slow down as a document grows).
 */
const seed = (tasks: number) => {
  const head = new LoroDoc()
  const { projectIds, memberIds } = seedWorkspace(head, { projects: Math.max(1, tasks / 1000), tasks: 0, seed: 7 })
  const headBytes = head.export({ mode: "update" })
  const taskIds: Array<TaskId> = []
  for (let offset = 0; offset < tasks; offset += PART) {
    const part = new LoroDoc()
    part.import(headBytes)
    const from = part.oplogVersion()
    const count = Math.min(PART, tasks - offset)
    const written = seedWorkspace(part, {
      tasks: count,
      projects: 0,
      seed: 7,
      chunk: count + 1,
      part: { offset, projectIds, memberIds },
    })
    taskIds.push(...written.taskIds)
    head.import(part.export({ mode: "update", from }))
    part.free()
  }
  const base = head.export({ mode: "snapshot" })
  head.free()
  return { base, projectIds, taskIds }
}
const PART = 5_000

const rows: Array<Array<string>> = []
for (const tasks of sizes) {
  const { base, projectIds, taskIds } = seed(tasks)
  const compactMs: Array<number> = []
  const squashMs: Array<number> = []
  const bytes = { snapshot: 0, squash: 0, entries: 0 }
  for (let r = 0; r < runs; r++) {
    // The device: opened from the snapshot; its version then is the squash's starting point.
    const device = new LoroDoc()
    device.import(base)
    const point = device.oplogVersion()
    // Five other devices edit on top (new tasks and title edits), one update each.
    const others = Array.from({ length: 5 }, () => {
      const d = new LoroDoc()
      d.import(base)
      return d
    })
    let entries = 0
    for (let i = 0; i < edits; i++) {
      const d = others[i % 5]!
      const before = d.oplogVersion()
      if (i % 2 === 0) createTask(d, { projectId: projectIds[0]!, title: `new ${r}.${i}` })
      else updateTask(d, taskIds[(i * 7919) % taskIds.length]!, { title: `edit ${r}.${i}` })
      d.commit()
      const update = d.export({ mode: "update", from: before })
      entries += update.length
      device.import(update)
    }
    let t = performance.now()
    const squash = device.export({ mode: "update", from: point })
    squashMs.push(performance.now() - t)
    t = performance.now()
    const snapshot = device.export({ mode: "snapshot" })
    compactMs.push(performance.now() - t)
    Object.assign(bytes, { snapshot: snapshot.length, squash: squash.length, entries })
    for (const d of [device, ...others]) d.free()
  }
  rows.push([
    tasks.toLocaleString("en-US"),
    fmt(median(compactMs), 1),
    fmt(bytes.snapshot / 1024, 0),
    fmt(median(squashMs), 2),
    fmt(bytes.squash / 1024, 0),
    fmt(bytes.entries / 1024, 0),
    `${fmt(median(compactMs) / median(squashMs), 0)}×`,
  ])
  console.log(`${tasks} tasks: compaction ${fmt(median(compactMs), 1)} ms, squash ${fmt(median(squashMs), 2)} ms`)
}
console.log(`local compaction after ${edits} edits from 5 devices (median of ${runs}; bare Loro, the engine's calls)\n`)
console.log(
  table(
    [
      "tasks",
      "compaction: snapshot export ms",
      "snapshot KiB",
      "squash: update export ms",
      "squashed KiB",
      "the entries it replaces, KiB",
      "compaction ÷ squash",
    ],
    rows,
  ),
)
