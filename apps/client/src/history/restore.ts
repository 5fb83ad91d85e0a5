import { createTask, metaMap, readEntity, setTaskDescription, type Task, updateTask } from "@vibestack/schema"
import type { LoroDoc } from "loro-crdt"
import type { DocVersionPoint } from "./versions.js"

type Frontiers = DocVersionPoint["frontiers"]

/**
 * Brings the whole workspace back to how it was at `frontiers`, as new operations on top
 * (Loro's `revertTo`: nothing in the history is lost, the restore syncs like any edit and is
 * undoable). The document's meta (layout version) is kept as it is now: restoring to before
 * a migration must not make the document look unmigrated. The caller commits.
 */
export const restoreWorkspace = (doc: LoroDoc, frontiers: Frontiers): void => {
  const meta = metaMap(doc)
  const before = new Map(Object.entries(meta.toJSON() as Record<string, unknown>))
  doc.revertTo(frontiers.map((f) => ({ peer: f.peer, counter: f.counter })))
  for (const [k, v] of before) if (meta.get(k) !== v) meta.set(k, v as never)
}

/** One task as it was at `frontiers`, or undefined if it did not exist then. */
export const taskAt = (doc: LoroDoc, taskId: string, frontiers: Frontiers): Task | undefined => {
  const fork = doc.forkAt(frontiers.map((f) => ({ peer: f.peer, counter: f.counter })))
  try {
    const read = readEntity(fork, "tasks", taskId)
    return read._tag === "Found" ? read.entity : undefined
  } finally {
    fork.free()
  }
}

export class RestoreError extends Error {}

/**
 * Brings one task back to how it was at `frontiers` through the schema's write helpers:
 * title, description, status, priority, assignee and due date (its place and comments stay
 * as they are now). A task deleted since is created again with its id. The caller commits.
 */
export const restoreTask = (doc: LoroDoc, taskId: string, frontiers: Frontiers): Task => {
  const then = taskAt(doc, taskId, frontiers)
  if (then === undefined) throw new RestoreError("This task did not exist at that version.")
  const now = readEntity(doc, "tasks", taskId)
  if (now._tag !== "Found") {
    if (readEntity(doc, "projects", then.projectId)._tag !== "Found")
      throw new RestoreError("Its project was deleted since: restore the whole workspace to that version instead.")
    const { id, projectId, title, description, status, priority, assigneeId, dueDate } = then
    return createTask(doc, {
      id,
      projectId,
      title,
      description,
      status,
      priority,
      ...(assigneeId !== undefined ? { assigneeId } : {}),
      ...(dueDate !== undefined ? { dueDate } : {}),
    })
  }
  const restored = updateTask(doc, taskId, {
    title: then.title,
    status: then.status,
    priority: then.priority,
    assigneeId: then.assigneeId ?? null,
    dueDate: then.dueDate ?? null,
  })
  if (now.entity.description !== then.description) setTaskDescription(doc, taskId, then.description)
  return restored
}
