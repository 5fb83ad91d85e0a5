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
import { placeTask } from "../board/placeTask.js"
import { restoreTask, restoreWorkspace } from "../history/restore.js"
import type { Intent, Writes } from "./intents.js"

/** The helpers behind each intent (in the document worker only). */
const WRITES: Writes = {
  addComment,
  createProject,
  createTask,
  deleteComment,
  deleteMember,
  deleteProject,
  deleteTask,
  moveTask,
  placeTask,
  restoreTask,
  restoreWorkspace,
  setTaskDescription,
  updateProject,
  updateTask,
  upsertMember,
}

/** Runs the intent's helper on `doc` (the caller commits). Throws what the helper throws. */
export const applyIntent = (doc: LoroDoc, i: Intent): void => {
  if (!Object.hasOwn(WRITES, i.op)) throw new Error(`unknown write ${String(i.op)}`)
  const run = WRITES[i.op] as (doc: LoroDoc, ...args: ReadonlyArray<unknown>) => unknown
  run(doc, ...i.args)
}
