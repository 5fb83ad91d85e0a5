import { collectionMap, TaskKeys } from "@vibestack/schema"
import { Cursor, type LoroDoc, LoroMap, LoroText } from "loro-crdt"

const toBase64 = (bytes: Uint8Array): string => btoa(String.fromCharCode(...bytes))
const fromBase64 = (s: string): Uint8Array => Uint8Array.from(atob(s), (c) => c.charCodeAt(0))

/** The task's description text if it exists (never creates it: reading must not write). */
const descriptionOf = (doc: LoroDoc, taskId: string): LoroText | undefined => {
  const task = collectionMap(doc, "tasks").get(taskId)
  const text = task instanceof LoroMap ? task.get(TaskKeys.description) : undefined
  return text instanceof LoroText ? text : undefined
}

/**
 * A caret in a task's description as a Loro `Cursor` (base64): it names a character, not an
 * offset, so a peer's caret stays on the right spot while others type before it.
 */
export const caretAt = (doc: LoroDoc, taskId: string, offset: number): string | undefined => {
  const text = descriptionOf(doc, taskId)
  if (text === undefined) return undefined
  try {
    const cursor = text.getCursor(Math.min(offset, text.length))
    return cursor === undefined ? undefined : toBase64(cursor.encode())
  } catch {
    return undefined
  }
}

/** Where a peer's caret is now in this document's copy of the text, or undefined (unknown, or deleted). */
export const caretOffset = (doc: LoroDoc, caret: string): number | undefined => {
  try {
    return doc.getCursorPos(Cursor.decode(fromBase64(caret)))?.offset
  } catch {
    return undefined
  }
}
