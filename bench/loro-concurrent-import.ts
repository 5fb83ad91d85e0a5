/**
 * A Loro cost the sync engine and the server's pool both meet (loro-crdt 1.17.1): the first
 * import of a change that is concurrent with the document's own head, into a document loaded
 * from a snapshot, takes time in proportion to the document's whole history; later ones are
 * cheap. A change made on top of the head (nothing concurrent) does not pay it. Loading from
 * a snapshot is lazy, and a concurrent change needs the history decoded; a full `export` decodes
 * it too, so paying it earlier moves the cost, it does not remove it.
 *
 * Where it shows: a device that opens a large workspace from its store and then receives an
 * edit made concurrently with one of its own (the sync worker stalls that long once), and the
 * server's pool validating the first concurrent push after it (re)loads a document's copy.
 *
 * Run: node --import tsx bench/loro-concurrent-import.ts [sizes=10000,50000]
 */
import { createProject, createTask, updateTask } from "@vibestack/schema"
import { fmt, table } from "@vibestack/server/src/test/stats.js"
import { growLoroMemoryInSteps } from "@vibestack/shared"
import * as loro from "loro-crdt"
import { LoroDoc } from "loro-crdt"

growLoroMemoryInSteps(loro)
const sizes = (process.argv[2] ?? "10000,50000").split(",").map(Number)

const timed = (f: () => void): number => {
  const t = performance.now()
  f()
  return performance.now() - t
}

const rows: Array<Array<string>> = []
for (const size of sizes) {
  // Written the way `vibestack workspace seed` writes: many tasks per commit.
  const origin = new LoroDoc()
  const project = createProject(origin, { name: "Bench", color: "#4f7cff" }).id
  origin.commit()
  let last: string | null = null
  for (let i = 0; i < size; i++) {
    last = createTask(origin, { projectId: project, title: `task ${i}`, position: { after: last, before: null } }).id
    if (i % 1000 === 999) origin.commit()
  }
  origin.commit()
  const snapshot = origin.export({ mode: "snapshot" })
  const task = last!
  const load = () => {
    const d = new LoroDoc()
    d.import(snapshot)
    return d
  }
  /** `writer` and `reader` each edit the task from the same head; the writer's change is returned. */
  const concurrentPair = (writer: LoroDoc, reader: LoroDoc, tag: string) => {
    const from = writer.oplogVersion()
    updateTask(writer, task, { title: `writer ${tag}` })
    writer.commit()
    updateTask(reader, task, { title: `reader ${tag}` })
    reader.commit()
    return writer.export({ mode: "update", from })
  }

  const loadMs = timed(load)
  const writer = load()
  const reader = load()
  const first = timed(() => reader.import(concurrentPair(writer, reader, "1")))
  const second = timed(() => reader.import(concurrentPair(writer, reader, "2")))

  const headWriter = load()
  const headReader = load()
  const from = headWriter.oplogVersion()
  updateTask(headWriter, task, { title: "on top of the head" })
  headWriter.commit()
  const update = headWriter.export({ mode: "update", from })
  const sequential = timed(() => headReader.import(update))

  const warmWriter = load()
  const warmReader = load()
  const warm = timed(() => void warmReader.export({ mode: "update" }))
  const afterWarm = timed(() => warmReader.import(concurrentPair(warmWriter, warmReader, "w")))

  rows.push([
    String(size),
    fmt(loadMs, 0),
    fmt(first, 0),
    fmt(second, 1),
    fmt(sequential, 0),
    `${fmt(warm, 0)} + ${fmt(afterWarm, 0)}`,
  ])
}
console.log(
  table(
    [
      "tasks",
      "load snapshot ms",
      "first concurrent import ms",
      "second ms",
      "first import on top of the head ms",
      "full export first, then the concurrent import ms",
    ],
    rows,
  ),
)
