import { createProject, createTask } from "@vibestack/schema"
import { growLoroMemoryInSteps, keepLoroHeadroom } from "@vibestack/shared"
import * as loro from "loro-crdt"
import { LoroDoc, type VersionVector } from "loro-crdt"
import { PROJECT } from "./workload.js"

/**
 * The load generator's floor for VibeStack's ramp, from bare Loro calls: `writers` documents
 * (one per writer of a workspace) where each edit is what the engine writers do to Loro (one
 * task created with the schema's helper, committed and exported by its writer, imported by
 * every writer, its own echo included). Returns the CPU milliseconds per edit on one thread:
 * `threads × 1000 / msPerEdit` is the most edits/s the writers could drive with no server at
 * all. The peers' writers apply nothing, so their generator has no such floor. Loro's memory grows
 * in steps here as in the engine (loroMemory.ts), so the floor is not raised by V8 collecting at
 * every 64 KiB the documents grow.
 *
 * `concurrent`: every writer makes its edit before seeing the others' (rounds of one edit per
 * writer, then every writer imports the round), as when edits overlap at high rates; Loro then
 * merges concurrent changes, which costs several times the sequential case (each edit imported
 * by all before the next is made).
 */
export const engineWorkloadMsPerEdit = (writers: number, edits: number, concurrent = false): number => {
  growLoroMemoryInSteps(loro)
  const docs = Array.from({ length: writers }, () => new LoroDoc())
  createProject(docs[0]!, { id: PROJECT, name: "Bench", color: "#4f7cff" })
  docs[0]!.commit()
  const base = docs[0]!.export({ mode: "update" })
  for (const d of docs.slice(1)) d.import(base)
  const versions: Array<VersionVector> = docs.map((d) => d.oplogVersion())
  const last: Array<string | null> = docs.map(() => null)
  const edit = (w: number, i: number): Uint8Array => {
    const doc = docs[w]!
    last[w] = createTask(doc, {
      id: `floor-${i}`,
      projectId: PROJECT,
      title: `task floor-${i}`,
      position: { after: last[w]!, before: null },
    }).id
    doc.commit()
    return doc.export({ mode: "update", from: versions[w]! })
  }
  /** Makes at least `n` edits (concurrent rounds finish whole); returns how many it made. */
  const run = (from: number, n: number): number => {
    let i = from
    while (i < from + n) {
      const round = concurrent ? docs.map((_, w) => w) : [i % writers]
      const updates = round.map((w) => edit(w, i++))
      for (const update of updates) for (const other of docs) other.import(update)
      for (const w of round) versions[w] = docs[w]!.oplogVersion()
      keepLoroHeadroom()
    }
    return i - from
  }
  run(0, Math.min(200, edits)) // warm-up: the JIT and Loro's first allocations
  // CPU time, not wall time: the machine is shared, and this is what each edit costs a core.
  const cpu0 = process.cpuUsage()
  const made = run(edits, edits)
  const cpu = process.cpuUsage(cpu0)
  const ms = (cpu.user + cpu.system) / 1000 / made
  for (const d of docs) d.free()
  return ms
}
