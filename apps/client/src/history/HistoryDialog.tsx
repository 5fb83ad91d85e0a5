import { newId, type WorkspaceView } from "@vibestack/schema"
import { useEffect, useRef, useState } from "react"
import { useNotify } from "../components/Notices.js"
import { useUndoHistoryOf } from "../components/UndoContext.js"
import { useNow } from "../hooks/useNow.js"
import { authorOfMessage } from "../people/authorship.js"
import { exactTime, relativeTime } from "../people/relativeTime.js"
import { type Intent, intent } from "../sync/intents.js"
import type { WorkspaceSession } from "../sync/WorkspaceSession.js"
import { write } from "../ui/write.js"
import type { DocVersionPoint } from "./versions.js"

const at = (v: DocVersionPoint): number => v.timestamp * 1000

/** Who made a version: the person its commit message names, else what the message says. */
const whoOf = (v: DocVersionPoint, session: WorkspaceSession): string => {
  const id = authorOfMessage(v.message)
  if (id !== undefined) return session.index.members.get(id)?.name ?? "a person since removed"
  if (v.message?.startsWith("migrate") === true) return "an app update"
  return "someone without a name"
}

/**
 * Browse the workspace's versions, see the board as it was at one (read-only), and restore
 * the workspace or one task to it as a new change on top: nothing in the history is lost,
 * the restore syncs like any edit, and Undo (the notice, or Ctrl+Z) takes it back. Works
 * offline: the history is in the tab's document (in its worker, which answers `ask` and runs
 * the restore intents). `docVersion` re-lists when the document changes while it is open.
 */
export const HistoryDialog = (p: {
  readonly session: WorkspaceSession
  readonly docVersion: number
  readonly readOnly: boolean
  readonly onClose: () => void
}) => {
  const dialog = useRef<HTMLDialogElement>(null)
  const history = useUndoHistoryOf()
  const notify = useNotify()
  const now = useNow(30_000)
  const [versions, setVersions] = useState<ReadonlyArray<DocVersionPoint>>([])
  // biome-ignore lint/correctness/useExhaustiveDependencies: docVersion is the trigger: the document changed
  useEffect(() => {
    let live = true
    void p.session.ask({ _tag: "Versions" }).then((v) => live && setVersions(v))
    return () => {
      live = false
    }
  }, [p.session, p.docVersion])
  const [selected, setSelected] = useState<string | undefined>(undefined)
  const point = versions.find((v) => v.key === selected) ?? versions[0]
  // The version on screen: its button shows pressed once the worker has answered with its board.
  const [shown, setShown] = useState<{ readonly key: string; readonly view: WorkspaceView | "unreadable" }>()
  useEffect(() => {
    if (point === undefined) return
    let live = true
    // The worker could not read that version: the dialog says it in words.
    void p.session
      .ask({ _tag: "ViewAt", frontiers: point.frontiers })
      .then((v) => live && setShown({ key: point.key, view: v ?? "unreadable" }))
    return () => {
      live = false
    }
  }, [p.session, point])
  const view = shown?.view
  const shownPoint = versions.find((v) => v.key === shown?.key) ?? point
  useEffect(() => dialog.current?.showModal(), [])
  const when = (v: DocVersionPoint) => (v.timestamp > 0 ? relativeTime(at(v), now) : "time not recorded")

  /** One restore = one undo step, offered in a notice (U4). A refusal comes back as a notice from the worker. */
  const restore = (what: string, i: Intent) => {
    const tag = newId<string>()
    const run = () => write(p.session, i)
    const r = history !== undefined ? history.tagged(tag, run) : run()
    if (!r.ok) return notify({ tone: "error", text: r.message })
    notify({
      text: `Restored ${what}.`,
      ...(history !== undefined && {
        action: {
          label: "Undo",
          run: () => {
            if (!history.undoTagged(tag))
              notify({ tone: "error", text: "That restore can't be undone from here: other edits came after it." })
          },
        },
      }),
    })
  }
  const label = shownPoint === undefined ? "" : shownPoint.timestamp > 0 ? exactTime(at(shownPoint)) : "that version"
  const latest = shownPoint === versions[0]

  return (
    <dialog ref={dialog} className="history-dialog" aria-labelledby="history-title" onClose={p.onClose}>
      <h2 id="history-title">History</h2>
      <div className="history">
        <ol className="history-versions" aria-label="Versions">
          {versions.map((v, i) => (
            <li key={v.key}>
              <span className="version-number" aria-hidden="true">
                {i + 1}.
              </span>
              <button
                type="button"
                aria-pressed={v.key === shown?.key}
                data-version-index={i}
                title={v.timestamp > 0 ? exactTime(at(v)) : undefined}
                onClick={() => setSelected(v.key)}
              >
                {whoOf(v, p.session)} · {when(v)} · {v.ops} {v.ops === 1 ? "change" : "changes"}
              </button>
            </li>
          ))}
        </ol>
        <section className="history-board" data-testid="history-board" aria-label="Board at this version">
          {shownPoint === undefined || view === undefined ? (
            <p className="muted">No history yet.</p>
          ) : view === "unreadable" ? (
            <p role="alert" className="error">
              This version cannot be shown on this device. Pick another one.
            </p>
          ) : (
            <>
              <p className="muted">
                As of {label}, by {whoOf(shownPoint, p.session)} (read-only)
              </p>
              {!p.readOnly && !latest && (
                <button
                  type="button"
                  onClick={() => restore(`the workspace to ${label}`, intent("restoreWorkspace", shownPoint.frontiers))}
                >
                  Restore the workspace to this version
                </button>
              )}
              {view.projects.length === 0 && <p className="muted">No projects at this version.</p>}
              {view.projects.map((proj) => (
                <div key={proj.id}>
                  <h3>{proj.name}</h3>
                  <ul className="history-tasks">
                    {view.tasks
                      .filter((t) => t.projectId === proj.id)
                      .map((t) => (
                        <li key={t.id} data-testid="history-task" className="row">
                          <span>
                            {t.title} — {t.status.replace("_", " ")}, {t.priority}
                          </span>
                          {!p.readOnly && !latest && (
                            <button
                              type="button"
                              aria-label={`Restore task ${t.title} to this version`}
                              onClick={() =>
                                restore(
                                  `task “${t.title}” to ${label}`,
                                  intent("restoreTask", t.id, shownPoint.frontiers),
                                )
                              }
                            >
                              Restore task
                            </button>
                          )}
                        </li>
                      ))}
                  </ul>
                </div>
              ))}
            </>
          )}
        </section>
      </div>
      <button type="button" onClick={() => dialog.current?.close()}>
        Close
      </button>
    </dialog>
  )
}
