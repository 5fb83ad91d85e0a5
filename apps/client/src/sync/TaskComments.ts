import { type Comment, collectionMap } from "@vibestack/schema"
import type { LoroDoc } from "loro-crdt"
import type { EntityGone, EntityPut } from "./docMessages.js"

/**
 * Each task's comments, for deleting a task without reading every comment of the workspace (the
 * schema's `deleteTask` otherwise does: 50-220 ms at 10,000 comments, in the worker every write
 * queues behind). Read once when first asked, then kept from the entity changes the replica
 * reads anyway; a large import forgets it until the next ask.
 */
export class TaskComments {
  private byTask: Map<string, Set<string>> | undefined
  private taskOf = new Map<string, string>()

  /** The comments of `taskId` the document holds. */
  of(doc: LoroDoc, taskId: string): ReadonlyArray<string> {
    if (this.byTask === undefined) this.readAll(doc)
    return [...(this.byTask?.get(taskId) ?? [])]
  }

  /** After the replica read its changed entities (a local commit or an import). */
  note(puts: ReadonlyArray<EntityPut>, gone: ReadonlyArray<EntityGone>): void {
    if (this.byTask === undefined) return
    for (const g of gone) if (g.c === "comments") this.remove(g.id)
    for (const p of puts) {
      if (p.c !== "comments") continue
      const comment = p.entity as Comment
      this.remove(comment.id)
      this.add(comment.id, comment.taskId)
    }
  }

  /** After changes not read one by one (a large import): read again when next asked. */
  forget(): void {
    this.byTask = undefined
    this.taskOf.clear()
  }

  private add(commentId: string, taskId: string): void {
    let set = this.byTask!.get(taskId)
    if (set === undefined) this.byTask!.set(taskId, (set = new Set()))
    set.add(commentId)
    this.taskOf.set(commentId, taskId)
  }

  private remove(commentId: string): void {
    const task = this.taskOf.get(commentId)
    if (task === undefined) return
    this.byTask!.get(task)?.delete(commentId)
    this.taskOf.delete(commentId)
  }

  private readAll(doc: LoroDoc): void {
    this.byTask = new Map()
    this.taskOf.clear()
    const comments = collectionMap(doc, "comments").toJSON() as Record<string, { taskId?: unknown } | null>
    for (const [id, c] of Object.entries(comments)) if (typeof c?.taskId === "string") this.add(id, c.taskId)
  }
}
