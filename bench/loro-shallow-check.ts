/**
 * Not a benchmark: whether this Loro build can make shallow snapshots of a real workspace,
 * the precondition for giving new devices recent history only (#15, reverted in e46a773).
 * Seeds a workspace the way `vibestack workspace seed` does (a head update, then parts written
 * on separate devices from it) and exports a shallow snapshot at the head, in a child process
 * per size (a Loro panic poisons its WebAssembly instance for good).
 *
 * loro-crdt 1.17.1: 1,000 tasks in 2 parts ok; 4 × 1,000, 2 × 3,000 or 10 × 500 panic
 * ("a container gets state only once its parent is known", container_wrapper.rs). Upstream
 * loro-dev/loro#1068 (open) adds that importing an update concurrent with a shallow root can
 * panic too, which is exactly what a new device meets when an offline device comes back.
 *
 * Run: node --import tsx bench/loro-shallow-check.ts
 */
import { spawnSync } from "node:child_process"
import { fileURLToPath } from "node:url"
import { type MemberId, type ProjectId, seedWorkspace } from "@vibestack/schema"
import { LoroDoc } from "loro-crdt"

const one = (tasks: number, parts: number): string => {
  const head = new LoroDoc()
  const people = seedWorkspace(head, { tasks: 0, projects: 2, seed: 7 })
  const headBlob = head.export({ mode: "update" })
  const doc = new LoroDoc()
  doc.import(headBlob)
  for (let k = 0; k < parts; k++) {
    const d = new LoroDoc()
    d.import(headBlob)
    const from = d.oplogVersion()
    seedWorkspace(d, {
      tasks,
      projects: 0,
      seed: 7,
      part: {
        offset: k * tasks,
        projectIds: people.projectIds as Array<ProjectId>,
        memberIds: people.memberIds as Array<MemberId>,
      },
    })
    doc.import(d.export({ mode: "update", from }))
  }
  try {
    const shallow = doc.export({ mode: "shallow-snapshot", frontiers: doc.oplogFrontiers() })
    return `ok (${shallow.length} bytes, full ${doc.export({ mode: "snapshot" }).length})`
  } catch {
    return "Loro panicked"
  }
}

const [tasks, parts] = process.argv.slice(2).map(Number)
if (tasks !== undefined && parts !== undefined) console.log(one(tasks, parts))
else
  for (const [t, p] of [
    [1000, 2],
    [1000, 4],
    [3000, 2],
    [500, 10],
  ] as const) {
    const r = spawnSync(process.execPath, ["--import", "tsx", fileURLToPath(import.meta.url), String(t), String(p)], {
      encoding: "utf8",
    })
    const line = r.stdout.split("\n").find((l) => l.startsWith("ok") || l.startsWith("Loro")) ?? "crashed"
    console.log(`${p} devices × ${t} tasks: ${line}`)
  }
