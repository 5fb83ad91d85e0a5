import { moveTask, readEntity, type Task, type TaskStatus, updateTask } from "@vibestack/schema"
import type { LoroDoc } from "loro-crdt"

/**
 * A board drop (or Alt+arrow step) as one write: the status if it changed, and a sort key
 * between the two shown neighbours (`moveTask`). Runs in the document worker as the intent
 * `placeTask` (one commit, one undo step); `boardMoves.ts` computes the placement on the page.
 */
export const placeTask = (
  doc: LoroDoc,
  id: string,
  to: { readonly status: TaskStatus; readonly after: string | null; readonly before: string | null },
): Task => {
  const now = readEntity(doc, "tasks", id)
  if (now._tag === "Found" && now.entity.status !== to.status) updateTask(doc, id, { status: to.status })
  return moveTask(doc, id, { after: to.after, before: to.before })
}
