import {
  addComment,
  createProject,
  createTask,
  deleteComment,
  deleteMember,
  deleteProject,
  deleteTask,
  moveTask,
  setTaskDescription,
  updateProject,
  updateTask,
  upsertMember,
} from "@vibestack/schema"
import type { LoroDoc } from "loro-crdt"

/**
 * Every write the page can ask for, by name: the schema's own helpers. The page never holds
 * the LoroDoc (a large one blocks its main thread for seconds), so a user action crosses to
 * the document worker as an intent `{ op, args }` and runs there with the same helper, the
 * same validation and one commit, exactly as it used to run in the tab.
 */
export const WRITES = {
  addComment,
  createProject,
  createTask,
  deleteComment,
  deleteMember,
  deleteProject,
  deleteTask,
  moveTask,
  setTaskDescription,
  updateProject,
  updateTask,
  upsertMember,
} as const

export type WriteOp = keyof typeof WRITES
type ArgsOf<K extends WriteOp> = Parameters<(typeof WRITES)[K]> extends [LoroDoc, ...infer A] ? A : never

export type Intent = { [K in WriteOp]: { readonly op: K; readonly args: ArgsOf<K> } }[WriteOp]

/** `intent("updateTask", id, { title })`: what `(d) => updateTask(d, id, { title })` did in the tab. */
export const intent = <K extends WriteOp>(op: K, ...args: ArgsOf<K>): Intent => ({ op, args }) as unknown as Intent

export const isWriteOp = (s: unknown): s is WriteOp => typeof s === "string" && Object.hasOwn(WRITES, s)

/** Runs the intent's helper on `doc` (the caller commits). Throws what the helper throws. */
export const applyIntent = (doc: LoroDoc, i: Intent): void => {
  const run = WRITES[i.op] as (doc: LoroDoc, ...args: ReadonlyArray<unknown>) => unknown
  run(doc, ...i.args)
}

/** The entity an intent edits in place (its row can be patched on the page before the worker answers). */
export const patchOf = (
  i: Intent,
): { readonly collection: "tasks" | "projects"; readonly id: string; readonly fields: object } | undefined => {
  switch (i.op) {
    case "updateTask":
      return { collection: "tasks", id: i.args[0], fields: i.args[1] }
    case "setTaskDescription":
      return { collection: "tasks", id: i.args[0], fields: { description: i.args[1] } }
    case "updateProject":
      return { collection: "projects", id: i.args[0], fields: i.args[1] }
    default:
      return undefined
  }
}
