import {
  addComment,
  createProject,
  createTask,
  deleteComment,
  deleteTask,
  readWorkspace,
  seededRandom,
  setTaskDescription,
  updateProject,
  updateTask,
  upsertMember,
} from "@vibestack/schema"
import type { LoroDoc } from "loro-crdt"

const STATUSES = ["todo", "in_progress", "in_review", "done", "canceled"] as const

/** One random edit through the schema's write helpers (creates, updates, deletes, text). */
export const randomEdit = (doc: LoroDoc, random: () => number): void => {
  const view = readWorkspace(doc)
  const pick = <A>(xs: ReadonlyArray<A>): A | undefined => xs[Math.floor(random() * xs.length)]
  const r = random()
  const project = pick(view.projects)
  const task = pick(view.tasks)
  if (project === undefined || r < 0.08) {
    createProject(doc, { name: `P${Math.floor(random() * 1000)}`, color: "#3b82f6" })
  } else if (view.members.length < 3 || r < 0.12) {
    upsertMember(doc, { id: `m${Math.floor(random() * 5)}`, name: `M${Math.floor(random() * 99)}`, color: "#22c55e" })
  } else if (task === undefined || r < 0.45) {
    createTask(
      doc,
      { projectId: project.id, title: `T${Math.floor(random() * 1e6)}`, status: pick(STATUSES)! },
      { random },
    )
  } else if (r < 0.65) {
    updateTask(doc, task.id, { status: pick(STATUSES)!, title: `T${Math.floor(random() * 1e6)}` })
  } else if (r < 0.72) {
    setTaskDescription(doc, task.id, `d${Math.floor(random() * 1e6)}`)
  } else if (r < 0.8) {
    deleteTask(doc, task.id)
  } else if (r < 0.9) {
    addComment(doc, { taskId: task.id, authorId: view.members[0]!.id, body: `c${Math.floor(random() * 99)}` })
  } else if (r < 0.95 && view.comments.length > 0) {
    deleteComment(doc, pick(view.comments)!.id)
  } else updateProject(doc, project.id, { name: `P${Math.floor(random() * 1000)}` })
  doc.commit()
}

export { seededRandom }
