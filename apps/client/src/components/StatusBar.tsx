import type { WorkspaceMeta } from "@vibestack/shared"
import { useTabSync } from "../hooks/useTabSync.js"

const describeError = (kind: string, message: string): string => {
  switch (kind) {
    case "Unauthorized":
    case "Forbidden":
      return `Access revoked or expired: ${message}`
    case "ClientTooOld":
      return "This app is too old for the server: reload to update."
    case "InvalidUpdate":
    case "PayloadTooLarge":
    case "BadRequest":
      return `The server refused a change: ${message}`
    default:
      return message
  }
}

/** Always visible: connection, pending uploads, last sync, and anything that stopped sync. */
export const StatusBar = ({ meta, unsaved }: { readonly meta: WorkspaceMeta; readonly unsaved: number }) => {
  const { leader, statuses, workerError } = useTabSync()
  const s = statuses.get(meta.workspaceId)
  const online = s?.online ?? false
  const label = s === undefined ? "waiting for sync" : s.state === "unregistered" ? "not registered yet" : s.state
  const fatal =
    meta.fatal ?? (s?.state === "stopped" && s.error ? describeError(s.error.kind, s.error.message) : undefined)
  return (
    <footer className="status-bar" role="status" aria-live="polite" data-testid="status-bar">
      <span className={online ? "dot online" : "dot offline"} aria-hidden="true" />
      <span data-testid="sync-state">
        {online ? "Online" : "Offline"} · {label}
      </span>
      <span data-testid="pending">{(s?.pending ?? 0) + unsaved} pending</span>
      <span>
        Last synced: {s?.lastSyncedAt !== undefined ? new Date(s.lastSyncedAt).toLocaleTimeString() : "never"}
      </span>
      {leader && (
        <span className="badge" data-testid="leader-badge">
          sync leader
        </span>
      )}
      {meta.role === "viewer" && <span className="badge">read-only</span>}
      {fatal !== undefined && (
        <span className="badge error" role="alert">
          {fatal}
        </span>
      )}
      {workerError !== undefined && (
        <span className="badge error" role="alert">
          Sync worker: {workerError}
        </span>
      )}
      {s?.error !== undefined && s.state !== "stopped" && (
        <span className="muted">{describeError(s.error.kind, s.error.message)}</span>
      )}
    </footer>
  )
}
