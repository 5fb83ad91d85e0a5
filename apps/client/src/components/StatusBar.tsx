import type { WorkspaceMeta } from "@vibestack/shared"
import { useEffect, useState } from "react"
import { useLocalCounts } from "../hooks/useLocalCounts.js"
import { useTabSync } from "../hooks/useTabSync.js"
import { describeFatal } from "../sync/fatalMessage.js"
import type { SyncStatusWire } from "../sync/messages.js"

const describeError = (kind: string, message: string): string => {
  switch (kind) {
    case "Unauthorized":
    case "Forbidden":
    case "ClientTooOld":
      return describeFatal(`${kind}: ${message}`)
    case "InvalidUpdate":
    case "PayloadTooLarge":
    case "BadRequest":
      return `The server refused a change: ${message}`
    default:
      return `Cannot reach the server (${kind}); retrying. Changes are saved on this device.`
  }
}

const PHASE: Record<SyncStatusWire["state"], string> = {
  idle: "Starting",
  connecting: "Connecting",
  catchingUp: "Syncing",
  live: "Up to date",
  offline: "Offline, retrying",
  stopped: "Sync stopped",
  unregistered: "Not registered with the server yet",
}

/** Re-renders every `ms` so "last synced 12 s ago" stays true. */
const useNow = (ms: number): number => {
  const [now, setNow] = useState(Date.now())
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), ms)
    return () => clearInterval(t)
  }, [ms])
  return now
}

const ago = (then: number, now: number): string => {
  const s = Math.max(0, Math.round((now - then) / 1000))
  if (s < 5) return "just now"
  if (s < 90) return `${s} s ago`
  if (s < 90 * 60) return `${Math.round(s / 60)} min ago`
  return new Date(then).toLocaleString()
}

/**
 * Always visible: connection, changes waiting to upload, last sync, and anything that
 * stopped sync. Pending counts come from IndexedDB, not only from the leader's report, so
 * they stay right while the leader cannot sync (or there is no report yet).
 */
export const StatusBar = (p: {
  readonly meta: WorkspaceMeta
  readonly unsaved: number
  readonly docVersion: number
  readonly readOnlyReason?: string | undefined
}) => {
  const { meta } = p
  const { leader, statuses, workerError } = useTabSync()
  const s = statuses.get(meta.workspaceId)
  const counts = useLocalCounts(meta.workspaceId, `${p.docVersion}/${s?.pending}/${s?.state}/${s?.lastSyncedAt}`)
  const now = useNow(5_000)
  const online = s?.online ?? false
  const phase =
    meta.fatal !== undefined
      ? "Sync stopped"
      : meta.token === undefined
        ? PHASE.unregistered
        : s === undefined
          ? "Waiting for the sync leader"
          : PHASE[s.state]
  const pending = Math.max(counts?.outbox ?? 0, s?.pending ?? 0) + p.unsaved
  const fatal =
    meta.fatal !== undefined
      ? describeFatal(meta.fatal)
      : s?.state === "stopped" && s.error
        ? describeError(s.error.kind, s.error.message)
        : undefined
  return (
    <footer className="status-bar" role="status" aria-live="polite" data-testid="status-bar">
      <span className={online ? "dot online" : "dot offline"} aria-hidden="true" />
      <span data-testid="sync-state" data-state={meta.fatal !== undefined ? "stopped" : (s?.state ?? "none")}>
        {online ? "Online" : "Offline"} · {phase}
      </span>
      <span data-testid="pending" title="Changes saved on this device, not yet on the server">
        {pending === 0
          ? "All changes uploaded"
          : `${pending} ${pending === 1 ? "change" : "changes"} waiting to upload`}
      </span>
      <span data-testid="last-synced">
        Last synced: {s?.lastSyncedAt !== undefined ? ago(s.lastSyncedAt, now) : "never"}
      </span>
      {leader && (
        <span className="badge" data-testid="leader-badge">
          sync leader
        </span>
      )}
      {meta.role === "viewer" && <span className="badge">read-only (viewer)</span>}
      {p.readOnlyReason !== undefined && (
        <span className="badge warn" data-testid="read-only-reason">
          {p.readOnlyReason}
        </span>
      )}
      {(counts?.rejected ?? 0) > 0 && (
        <span className="badge error" role="alert" data-testid="rejected">
          The server refused {counts?.rejected} change(s); they are kept on this device.
        </span>
      )}
      {fatal !== undefined && (
        <span className="badge error" role="alert" data-testid="sync-fatal">
          {fatal}
        </span>
      )}
      {workerError !== undefined && (
        <span className="badge error" role="alert">
          Sync worker: {workerError}
        </span>
      )}
      {fatal === undefined && s?.error !== undefined && (
        <span className="muted" data-testid="sync-error">
          {describeError(s.error.kind, s.error.message)}
        </span>
      )}
    </footer>
  )
}
