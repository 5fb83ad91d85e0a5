import type { WorkspaceMeta } from "@vibestack/shared"
import { memo, useEffect, useRef, useState } from "react"
import { storedSince, useLocalCounts } from "../hooks/useLocalCounts.js"
import { useNetworkOnline } from "../hooks/useNetworkOnline.js"
import { useNow } from "../hooks/useNow.js"
import { useTabSync } from "../hooks/useTabSync.js"
import { useSaveVersion } from "../hooks/useWorkspaceSession.js"
import { pageShown } from "../serviceWorker.js"
import type { WorkspaceSession } from "../sync/WorkspaceSession.js"
import { SETTLE_MS, type StatusReportView, type SyncView, syncView, viewWhileEditing } from "../ui/syncView.js"

/** The bar's words, settled while this tab's edits come in quick succession (`viewWhileEditing`). */
const useSettledAfterEdits = (v: SyncView, lastWriteAt: number): SyncView => {
  const shown = useRef(v)
  const [woken, wake] = useState(0)
  const next = viewWhileEditing(shown.current, v, Date.now() - lastWriteAt)
  const held = next !== v
  // Held: look again once the edits have paused (armed per edit and per wake, not per render).
  // biome-ignore lint/correctness/useExhaustiveDependencies: woken re-arms a timer that fired a moment early
  useEffect(() => {
    if (!held) return
    const t = setTimeout(() => wake((n) => n + 1), lastWriteAt + SETTLE_MS - Date.now())
    return () => clearTimeout(t)
  }, [held, lastWriteAt, woken])
  shown.current = next
  return next
}

/** States in which the board is still getting what it opened from the server. */
const OPENING = new Set(["starting", "connecting", "catchingUp"])

/**
 * Always visible: where sync stands, changes waiting to upload, last sync, changes the server
 * refused, and why sync stopped if it did. Every word comes from `syncView` (one source of
 * truth: the leader's report, the workspace meta, the IndexedDB counts), so it cannot say
 * two things at once. Counts come from IndexedDB too, so they are right with no report yet.
 */
export const StatusBar = memo(
  (p: {
    readonly session: WorkspaceSession
    readonly meta: WorkspaceMeta
    readonly readOnlyReason?: string | undefined
    readonly onShowRefused: () => void
  }) => {
    const { meta, session } = p
    const { leader, statuses, workerError } = useTabSync()
    // Its own subscriptions (the leader's reports, this tab's unsaved commits): an edit's
    // status changes re-render this bar, not the board.
    const saveVersion = useSaveVersion(session)
    const report: StatusReportView | undefined = statuses.get(meta.workspaceId)
    const counts = useLocalCounts(
      meta.workspaceId,
      `${saveVersion}/${report?.pending}/${report?.state}/${report?.lastSyncedAt}/${report?.rejected}`,
      session,
    )
    const network = useNetworkOnline()
    const now = useNow(5_000)
    const v = useSettledAfterEdits(
      syncView({
        registered: meta.token !== undefined,
        fatal: meta.fatal,
        report,
        outbox: counts?.outbox,
        rejected: counts?.rejected,
        oldestPendingAt: counts?.oldestPendingAt,
        unsaved: session.unsaved,
        storedSinceCount: storedSince(counts, session),
        network,
        workerFailed: workerError !== undefined,
        saveFailed: session.error !== undefined,
        now,
      }),
      session.lastWriteAt,
    )
    // The board has what it opened once its first sync is over (or cannot happen): only then
    // does the service worker download the app shell (serviceWorker.ts).
    const settled = !OPENING.has(v.state)
    useEffect(() => {
      if (settled) pageShown()
    }, [settled])
    return (
      <footer className="status-bar" role="status" aria-live="polite" data-testid="status-bar">
        <span className={`dot ${v.tone}`} aria-hidden="true" />
        <span className="sync-state" data-testid="sync-state" data-state={v.state}>
          {v.headline}
        </span>
        <span data-testid="pending" title="Changes saved on this device, not yet on the server">
          {v.pendingText}
        </span>
        {v.lastSyncedText !== undefined && <span data-testid="last-synced">{v.lastSyncedText}</span>}
        {v.refusedText !== undefined && (
          <button type="button" className="badge error" data-testid="rejected" onClick={p.onShowRefused}>
            {v.refusedText}
          </button>
        )}
        {meta.role === "viewer" && <span className="badge">View only</span>}
        {p.readOnlyReason !== undefined && (
          <span className="badge warn" data-testid="read-only-reason">
            Read-only: saved by a newer version of the app
          </span>
        )}
        {leader && (
          <span className="badge muted" data-testid="leader-badge" title="This tab syncs for every tab of this browser">
            sync leader
          </span>
        )}
        {v.detail !== undefined &&
          (v.stopped ? (
            <span className="badge error" role="alert" data-testid="sync-fatal">
              {v.detail}
            </span>
          ) : (
            <span className="muted" data-testid="sync-detail">
              {v.detail}
            </span>
          ))}
      </footer>
    )
  },
)
