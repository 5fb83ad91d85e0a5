import { InvalidWrite } from "@vibestack/schema"
import { RestoreError } from "../history/restore.js"
import type { Intent } from "../sync/intents.js"
import type { WorkspaceSession } from "../sync/WorkspaceSession.js"

export type WriteResult = { readonly ok: true } | { readonly ok: false; readonly message: string }

const NOUN: Record<string, string> = {
  tasks: "task",
  projects: "project",
  comments: "comment",
  members: "person",
}

/**
 * What a refused local write means to a person. The helpers' own messages are for engineers
 * (they name schema paths and ids): they go to the console, never on screen.
 */
export const describeWriteError = (e: unknown): string => {
  console.warn("write refused", e)
  // A restore that cannot apply says why in words already (history/restore.ts).
  if (e instanceof RestoreError) return e.message
  if (e instanceof InvalidWrite) {
    const noun = NOUN[e.collection] ?? "item"
    if (/does not exist|no such|not a map/.test(e.message))
      return `Not saved: this ${noun} was deleted, perhaps on another device.`
    return `Not saved: the ${noun} would not be valid with this change.`
  }
  return "Not saved: something went wrong on this device. Reload the page and try again."
}

/**
 * One user action through the session: `intent("updateTask", id, { title })` runs that schema
 * helper in the document worker, one commit. Never throws: a read-only document answers here;
 * a write the helper refuses there comes back as a notice (`session.onWriteFailed`), and the
 * document is unchanged (helpers write nothing when they throw).
 */
export const write = (session: WorkspaceSession, i: Intent): WriteResult => {
  // A document from a newer app version is read-only; the session says why in words.
  if (session.readOnlyReason !== undefined) return { ok: false, message: session.readOnlyReason }
  session.write(i)
  return { ok: true }
}
