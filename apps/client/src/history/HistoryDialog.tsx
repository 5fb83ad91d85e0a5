import type { LoroDoc } from "loro-crdt"
import { useEffect, useMemo, useRef, useState } from "react"
import { type DocVersionPoint, listVersions, viewAt } from "./versions.js"

const when = (v: DocVersionPoint): string =>
  v.timestamp > 0 ? new Date(v.timestamp * 1000).toLocaleString() : "time not recorded"

/**
 * Browse the workspace's versions and see the board as it was at one, read-only. Works
 * offline: the history is in the tab's own document (every device keeps the full oplog).
 * `docVersion` re-lists when the document changes while the dialog is open.
 */
export const HistoryDialog = (p: {
  readonly doc: LoroDoc
  readonly docVersion: number
  readonly onClose: () => void
}) => {
  const dialog = useRef<HTMLDialogElement>(null)
  // biome-ignore lint/correctness/useExhaustiveDependencies: docVersion is the trigger: the document changed
  const versions = useMemo(() => listVersions(p.doc), [p.doc, p.docVersion])
  const [selected, setSelected] = useState<string | undefined>(undefined)
  const point = versions.find((v) => v.key === selected) ?? versions[0]
  const view = useMemo(() => {
    if (point === undefined) return undefined
    try {
      return viewAt(p.doc, point.frontiers)
    } catch (e) {
      // Loro errors are strings for engineers; the dialog says it in words.
      console.warn("history view failed", e)
      return "unreadable" as const
    }
  }, [p.doc, point])
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
                aria-pressed={v === point}
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
              <p className="muted">As of {when(point)} (read-only)</p>
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
