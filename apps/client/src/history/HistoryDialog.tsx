import type { WorkspaceView } from "@vibestack/schema"
import { useEffect, useRef, useState } from "react"
import type { WorkspaceSession } from "../sync/WorkspaceSession.js"
import type { DocVersionPoint } from "./versions.js"

const when = (v: DocVersionPoint): string =>
  v.timestamp > 0 ? new Date(v.timestamp * 1000).toLocaleString() : "time not recorded"

/**
 * Browse the workspace's versions and see the board as it was at one, read-only. Works
 * offline: the history is in the tab's document (in its worker, which answers `ask`).
 * `docVersion` re-lists when the document changes while the dialog is open.
 */
export const HistoryDialog = (p: {
  readonly session: WorkspaceSession
  readonly docVersion: number
  readonly onClose: () => void
}) => {
  const dialog = useRef<HTMLDialogElement>(null)
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
  useEffect(() => dialog.current?.showModal(), [])
  return (
    <dialog ref={dialog} className="history-dialog" aria-labelledby="history-title" onClose={p.onClose}>
      <h2 id="history-title">History</h2>
      <div className="history">
        <ol className="history-versions" aria-label="Versions">
          {versions.map((v, i) => (
            <li key={v.key}>
              <button
                type="button"
                aria-pressed={v.key === shown?.key}
                data-version-index={i}
                onClick={() => setSelected(v.key)}
              >
                {when(v)} · {v.ops} {v.ops === 1 ? "change" : "changes"}
                {v.message !== undefined && v.message !== "" ? ` · ${v.message}` : ""} · device {v.peer.slice(-4)}
              </button>
            </li>
          ))}
        </ol>
        <section className="history-board" data-testid="history-board" aria-label="Board at this version">
          {point === undefined || view === undefined ? (
            <p className="muted">No history yet.</p>
          ) : view === "unreadable" ? (
            <p role="alert" className="error">
              This version cannot be shown on this device. Pick another one.
            </p>
          ) : (
            <>
              <p className="muted">As of {when(versions.find((v) => v.key === shown?.key) ?? point)} (read-only)</p>
              {view.projects.length === 0 && <p className="muted">No projects at this version.</p>}
              {view.projects.map((proj) => (
                <div key={proj.id}>
                  <h3>{proj.name}</h3>
                  <ul>
                    {view.tasks
                      .filter((t) => t.projectId === proj.id)
                      .map((t) => (
                        <li key={t.id} data-testid="history-task">
                          {t.title} — {t.status.replace("_", " ")}, {t.priority}
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
