import { useEffect, useState } from "react"
import type { RemoteUndo } from "../sync/RemoteUndo.js"
import type { WorkspaceSession } from "../sync/WorkspaceSession.js"

/**
 * The open session's undo history: made with the session and freed with it (a session whose
 * document is replaced, e.g. after the engine rebases, comes back as a new session and gets a
 * new, empty history). Undefined while read-only: nothing to undo there.
 */
export const useUndoHistory = (session: WorkspaceSession | undefined, readOnly: boolean): RemoteUndo | undefined => {
  const [history, setHistory] = useState<RemoteUndo | undefined>(undefined)
  useEffect(() => {
    if (session === undefined || readOnly) return
    setHistory(session.undo)
    return () => setHistory(undefined)
  }, [session, readOnly])
  return history
}

/** Fields with their own undo (the browser's, for the text being typed): the board leaves Ctrl+Z to them. */
const hasOwnUndo = (target: EventTarget | null): boolean => {
  if (!(target instanceof HTMLElement)) return false
  if (target.isContentEditable || target instanceof HTMLTextAreaElement) return true
  if (target instanceof HTMLInputElement)
    return !["checkbox", "radio", "button", "submit", "date", "color", "range"].includes(target.type)
  return false
}

/**
 * Ctrl+Z / Cmd+Z undo, Ctrl+Shift+Z / Cmd+Shift+Z / Ctrl+Y redo, anywhere on the board except
 * in a text field (its own undo) or an open dialog (it has nothing to do with the board).
 */
export const useUndoShortcuts = (history: RemoteUndo | undefined): void => {
  useEffect(() => {
    if (history === undefined) return
    const onKey = (e: KeyboardEvent) => {
      if (!(e.ctrlKey || e.metaKey) || e.altKey) return
      const key = e.key.toLowerCase()
      const undo = key === "z" && !e.shiftKey
      const redo = (key === "z" && e.shiftKey) || (key === "y" && !e.shiftKey && e.ctrlKey)
      if (!undo && !redo) return
      if (hasOwnUndo(e.target) || (e.target instanceof Element && e.target.closest("dialog") !== null)) return
      e.preventDefault()
      if (undo) history.undo()
      else history.redo()
    }
    addEventListener("keydown", onKey)
    return () => removeEventListener("keydown", onKey)
  }, [history])
}
