import { InvalidWrite } from "@vibestack/schema"
import type { LoroDoc } from "loro-crdt"
import { stampAuthor } from "../people/authorship.js"
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
  if (e instanceof InvalidWrite) {
    const noun = NOUN[e.collection] ?? "item"
    if (/does not exist|no such|not a map/.test(e.message))
      return `Not saved: this ${noun} was deleted, perhaps on another device.`
    return `Not saved: the ${noun} would not be valid with this change.`
  }
  return "Not saved: something went wrong on this device. Reload the page and try again."
}

/**
 * One user action through the session (one commit), never throwing: a refused write comes back
 * as a message for the screen, and the document is unchanged (helpers write nothing when they
 * throw; the session's commit after a throw commits nothing).
 */
export const write = (session: WorkspaceSession, fn: (doc: LoroDoc) => void): WriteResult => {
  // A document from a newer app version is read-only; the session says why in words.
  if (session.readOnlyReason !== undefined) return { ok: false, message: session.readOnlyReason }
  try {
    stampAuthor(session.doc)
    session.change(fn)
    return { ok: true }
  } catch (e) {
    console.warn("write refused", e)
    return { ok: false, message: describeWriteError(e) }
  }
}
