import {
  addComment,
  createProject,
  createTask,
  deleteComment,
  deleteTask,
  moveTask,
  readWorkspace,
  seededRandom,
  seedWorkspace,
  setTaskDescription,
  taskDescription,
  updateTask,
  upsertMember,
} from "@vibestack/schema"
import { LoroDoc } from "loro-crdt"

/** A workspace document with `tasks` seeded tasks (and their projects, members, comments). */
export const seededWorkspace = (tasks: number, seed = 1): LoroDoc => {
  const doc = new LoroDoc()
  doc.setPeerId(BigInt(1000 + seed))
  seedWorkspace(doc, { projects: Math.max(1, Math.ceil(tasks / 500)), tasks, members: 6, seed })
  return doc
}

/**
 * What a real client pushes, one update per user action, written through the schema's
 * helpers on top of `base` (a snapshot, or an empty document): a project with tasks and
 * descriptions, a member, comments, field edits, moves, description typing (inserts and
 * backspaces), deletes. Deterministic for a seed.
 */
export const workspaceUpdates = (base: Uint8Array | undefined, peer: bigint, seed: number): Array<Uint8Array> => {
  const doc = new LoroDoc()
  doc.setPeerId(peer)
  if (base !== undefined) doc.import(base)
  const random = seededRandom(seed)
  const opts = { now: Date.UTC(2025, 5, 1), random }
  const out: Array<Uint8Array> = []
  const act = (f: () => void) => {
    const from = doc.oplogVersion()
    f()
    doc.commit()
    out.push(doc.export({ mode: "update", from }))
  }
  const s = seed.toString(36)
  act(() => {
    upsertMember(doc, { id: `fm${s}`, name: "Fuzz Member", color: "#22c55e" })
    createProject(doc, { id: `fp${s}`, name: "Fuzz project", color: "#3b82f6" }, opts)
  })
  act(() => {
    for (let i = 0; i < 4; i++) {
      const description = i % 2 === 0 ? `Steps 🦜 ${i}:\n1. open\n2. check` : ""
      const position = { after: null, before: null }
      createTask(doc, { id: `ft${s}_${i}`, projectId: `fp${s}`, title: `Fuzz task ${i}`, description, position }, opts)
    }
  })
  act(() => addComment(doc, { id: `fc${s}`, taskId: `ft${s}_0`, authorId: `fm${s}`, body: "Looks good" }, opts))
  act(() => updateTask(doc, `ft${s}_1`, { status: "in_review", priority: "high", dueDate: "2025-07-01" }, opts))
  act(() => moveTask(doc, `ft${s}_2`, { after: `ft${s}_3`, before: null }, opts))
  act(() => setTaskDescription(doc, `ft${s}_0`, "Steps 🦜 0:\n1. open the app\n2. check", opts))
  act(() => {
    const text = taskDescription(doc, `ft${s}_1`)
    text.insert(0, "typed")
    for (let i = 0; i < 3; i++) text.delete(text.length - 1, 1)
  })
  act(() => {
    const view = readWorkspace(doc)
    const other = view.tasks.find((t) => !t.id.startsWith("ft"))
    if (other !== undefined) updateTask(doc, other.id, { title: "edited seeded task", assigneeId: `fm${s}` }, opts)
    deleteComment(doc, `fc${s}`)
  })
  act(() => deleteTask(doc, `ft${s}_3`))
  return out
}
