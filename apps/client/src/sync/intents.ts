import type * as Schema from "@vibestack/schema"
import type { LoroDoc } from "loro-crdt"
import type { placeTask } from "../board/placeTask.js"
import type { restoreTask, restoreWorkspace } from "../history/restore.js"

/**
 * Every write the page can ask for, by name: the schema's own helpers. The page never holds
 * the LoroDoc (a large one blocks its main thread for seconds), so a user action crosses to
 * the document worker as an intent `{ op, args }` and runs there with the same helper, the
 * same validation and one commit (`applyIntent.ts`), exactly as it used to run in the tab.
 * Types only here: the page bundle must not load Loro (its WebAssembly alone is 3.6 MB).
 */
export interface Writes {
  readonly addComment: typeof Schema.addComment
  readonly createProject: typeof Schema.createProject
  readonly createTask: typeof Schema.createTask
  readonly deleteComment: typeof Schema.deleteComment
  readonly deleteMember: typeof Schema.deleteMember
  readonly deleteProject: typeof Schema.deleteProject
  readonly deleteTask: typeof Schema.deleteTask
  readonly moveTask: typeof Schema.moveTask
  /** A board drop: status and place in one commit (`board/placeTask.ts`). */
  readonly placeTask: typeof placeTask
  /** History (`history/restore.ts`): a version's task or whole workspace, as new ops on top. */
  readonly restoreTask: typeof restoreTask
  readonly restoreWorkspace: typeof restoreWorkspace
  readonly setTaskDescription: typeof Schema.setTaskDescription
  readonly updateProject: typeof Schema.updateProject
  readonly updateTask: typeof Schema.updateTask
  readonly upsertMember: typeof Schema.upsertMember
}

export type WriteOp = keyof Writes
type ArgsOf<K extends WriteOp> = Parameters<Writes[K]> extends [LoroDoc, ...infer A] ? A : never

export type Intent = { [K in WriteOp]: { readonly op: K; readonly args: ArgsOf<K> } }[WriteOp]

/** `intent("updateTask", id, { title })`: what `(d) => updateTask(d, id, { title })` did in the tab. */
export const intent = <K extends WriteOp>(op: K, ...args: ArgsOf<K>): Intent => ({ op, args }) as unknown as Intent

/** The entity an intent edits in place (its row can be patched on the page before the worker answers). */
export const patchOf = (
  i: Intent,
):
  | { readonly collection: "tasks" | "projects" | "members"; readonly id: string; readonly fields: object }
  | undefined => {
  switch (i.op) {
    case "updateTask":
      return { collection: "tasks", id: i.args[0], fields: i.args[1] }
    case "placeTask":
      // The card changes column at once; its place among the others comes with the worker's answer.
      return { collection: "tasks", id: i.args[0], fields: { status: i.args[1].status } }
    case "setTaskDescription":
      return { collection: "tasks", id: i.args[0], fields: { description: i.args[1] } }
    case "upsertMember":
      // Renaming a person (one already there): the name shows at once.
      return i.args[0].id === undefined ? undefined : { collection: "members", id: i.args[0].id, fields: i.args[0] }
    case "updateProject":
      return { collection: "projects", id: i.args[0], fields: i.args[1] }
    default:
      return undefined
  }
}
