import { canWrite, MAIN_DOC } from "@vibestack/schema"
import type { RejectedEntry } from "@vibestack/shared"
import { useEffect, useRef, useState } from "react"
import { useTabSync } from "../hooks/useTabSync.js"
import { tabSync } from "../sync/runtime.js"
import type { WorkspaceSession } from "../sync/WorkspaceSession.js"
import { describeRefusal, readableSummary } from "../ui/refusal.js"
import { useNotify } from "./Notices.js"

const NAME_OF: Record<string, (s: WorkspaceSession, id: string) => string | undefined> = {
  tasks: (s, id) => s.index.tasks.get(id)?.title,
  projects: (s, id) => s.index.projects.get(id)?.name,
  members: (s, id) => s.index.members.get(id)?.name,
}

/**
 * "Changes not uploaded" (U3): every change the server refused, with why in words, what it
 * did, and what can be done: copy its text, discard it, or retry once this device may write
 * (re-joined with an editor link). The leader does the work (`DiscardRejected`,
 * `RetryRejected`); the list re-reads IndexedDB whenever its status report changes.
 */
export const RefusedDialog = (p: { readonly session: WorkspaceSession; readonly onClose: () => void }) => {
  const { session } = p
  const ws = session.meta.workspaceId
  const dialog = useRef<HTMLDialogElement>(null)
  const notify = useNotify()
  const report = useTabSync().statuses.get(ws)
  const [entries, setEntries] = useState<ReadonlyArray<RejectedEntry> | undefined>(undefined)
  const [hidden, setHidden] = useState<ReadonlySet<number>>(new Set())
  const [failure, setFailure] = useState<string | undefined>(undefined)
  const [reads, setReads] = useState(0)
  useEffect(() => dialog.current?.showModal(), [])
  // biome-ignore lint/correctness/useExhaustiveDependencies: the report and `reads` are what make a re-read worthwhile
  useEffect(() => {
    let live = true
    tabSync()
      .store.rejectedOutbox(ws, MAIN_DOC)
      .then(
        (l) => {
          if (!live) return
          setEntries(l)
          setHidden(new Set())
        },
        (e: unknown) => {
          console.warn("could not read refused changes", e)
          if (live) setFailure("The list could not be read on this device. Reload the page to try again.")
        },
      )
    return () => {
      live = false
    }
  }, [ws, report?.rejected, report?.pending, reads])
  useEffect(
    () =>
      tabSync().onMessage((m) => {
        if (m._tag !== "RetryFailed" || m.ws !== ws) return
        setFailure(m.message)
        setReads((n) => n + 1)
      }),
    [ws],
  )
  const canRetry = canWrite(session.meta.role) && session.meta.fatal === undefined
  const act = (tag: "DiscardRejected" | "RetryRejected", id: number) => {
    setFailure(undefined)
    setHidden((h) => new Set([...h, id]))
    tabSync().post({ _tag: tag, ws, doc: MAIN_DOC, id })
    // The leader reports when it is done; read again soon in case this tab hears nothing.
    setTimeout(() => setReads((n) => n + 1), 1_500)
  }
  const copy = (text: string) =>
    void navigator.clipboard.writeText(text).then(
      () => notify({ text: "Copied." }),
      () => setFailure("Could not copy: select the text in the list and copy it by hand."),
    )
  const names = { nameOf: (c: string, id: string) => NAME_OF[c]?.(session, id) }
  const shown = (entries ?? []).filter((e) => !hidden.has(e.id))
  return (
    <dialog ref={dialog} className="share-dialog" aria-labelledby="refused-title" onClose={p.onClose}>
      <h2 id="refused-title">Changes not uploaded</h2>
      <p className="muted">
        The server refused these changes from this device. They are not on the board and not on the server; they are
        kept here until you discard them.
      </p>
      {failure !== undefined && (
        <p role="alert" className="error">
          {failure}
        </p>
      )}
      {entries === undefined ? (
        <p>Loading…</p>
      ) : shown.length === 0 ? (
        <p className="muted">Nothing left: every change was uploaded or discarded.</p>
      ) : (
        <ul className="refused">
          {shown.map((e) => {
            const lines = readableSummary(e.summary, names)
            const text = e.text !== "" ? e.text : lines.join("\n")
            return (
              <li key={e.id}>
                <strong>{describeRefusal(e.error.kind)}</strong>
                <pre>{lines.join("\n")}</pre>
                {!canRetry && e.error.kind === "Forbidden" && (
                  <span className="muted">To upload it, open an editor link for this workspace, then retry.</span>
                )}
                <span className="row">
                  <button type="button" onClick={() => copy(text)}>
                    Copy text
                  </button>
                  <button type="button" disabled={!canRetry} onClick={() => act("RetryRejected", e.id)}>
                    Retry
                  </button>
                  <button type="button" onClick={() => act("DiscardRejected", e.id)}>
                    Discard
                  </button>
                </span>
              </li>
            )
          })}
        </ul>
      )}
      <button type="button" onClick={() => dialog.current?.close()}>
        Close
      </button>
    </dialog>
  )
}
