import { newId } from "@vibestack/schema"
import { createContext, useCallback, useContext } from "react"
import type { Intent } from "../sync/intents.js"
import type { RemoteUndo } from "../sync/RemoteUndo.js"
import type { WorkspaceSession } from "../sync/WorkspaceSession.js"
import { write } from "../ui/write.js"
import { useNotify } from "./Notices.js"

/** The board's undo history (undefined while read-only). */
export const UndoContext = createContext<RemoteUndo | undefined>(undefined)

export const useUndoHistoryOf = (): RemoteUndo | undefined => useContext(UndoContext)

/**
 * Deletes are never asked about: they happen at once and offer "Undo" for several seconds
 * (and stay in Ctrl+Z's history). The notice's Undo reverts exactly that delete, or says it
 * cannot when later edits came after it. Rule U4.
 */
export const useDeleteWithUndo = (session: WorkspaceSession): ((what: string, fn: Intent) => void) => {
  const history = useUndoHistoryOf()
  const notify = useNotify()
  return useCallback(
    (what, fn) => {
      const tag = newId<string>()
      const r = history !== undefined ? history.tagged(tag, () => write(session, fn)) : write(session, fn)
      if (!r.ok) return notify({ tone: "error", text: r.message })
      notify({
        text: `Deleted ${what}.`,
        ...(history !== undefined && {
          action: {
            label: "Undo",
            run: () => {
              if (!history.undoTagged(tag))
                notify({
                  tone: "error",
                  text: "That delete can't be undone from here: other edits came after it. Use Undo at the top to step back.",
                })
            },
          },
        }),
      })
    },
    [history, notify, session],
  )
}
