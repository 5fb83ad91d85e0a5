import type { FatalError } from "@vibestack/shared"
import { describeFatal, type FatalState } from "../sync/fatalMessage.js"
import { count } from "./textRules.js"

/**
 * The status bar's one source of truth: every word it shows is derived here, in one pass,
 * from the leader's last report, the workspace meta and the IndexedDB counts. A pure function
 * of its inputs (the clock passed in), so it cannot say two things at once and is unit-tested
 * state by state (`syncView.test.ts`). Rule U2 in apps/client/README.md.
 */

/** The leader's report (`SyncStatusWire`); fields newer builds add are optional here. */
export interface StatusReportView {
  readonly state: "idle" | "connecting" | "catchingUp" | "live" | "offline" | "stopped" | "unregistered"
  /** Connected to the server. */
  readonly online: boolean
  /** Outbox count as the leader sees it. */
  readonly pending: number
  /** When the oldest waiting change was made (ms epoch). */
  readonly oldestPendingAt?: number | undefined
  readonly lastSyncedAt: number | undefined
  /** The last retryable problem. */
  readonly error: { readonly kind: string; readonly message: string } | undefined
  /** Changes the server refused (the "not uploaded" list). */
  readonly rejected?: number | undefined
}

export interface SyncInputs {
  /** The workspace has a token: the server knows it. */
  readonly registered: boolean
  readonly fatal: FatalError | undefined
  /** Undefined until the leader's first report reaches this tab. */
  readonly report: StatusReportView | undefined
  /** IndexedDB counts (undefined until read). */
  readonly outbox: number | undefined
  readonly rejected: number | undefined
  /** When the oldest change in the IndexedDB outbox was made. */
  readonly oldestPendingAt: number | undefined
  /** Commits made in this tab, not yet in IndexedDB. */
  readonly unsaved: number
  /**
   * Commits this tab put in IndexedDB after the `outbox` count was read. From leaving
   * `unsaved` until the next count (or the leader's report) they are counted here, or the bar
   * would say "Up to date" for that moment while they wait.
   */
  readonly storedSinceCount?: number
  /** The browser's own view of the network (`navigator.onLine`). */
  readonly network: boolean
  /** The sync worker could not start in this tab. */
  readonly workerFailed: boolean
  /** IndexedDB refused a commit of this tab. */
  readonly saveFailed: boolean
  readonly now: number
}

export type SyncViewState =
  | "notSaved"
  | "workerFailed"
  | FatalState
  | "unregistered"
  | "starting"
  | "offline"
  | "unreachable"
  | "connecting"
  | "catchingUp"
  | "uploading"
  | "upToDate"

export interface SyncView {
  readonly state: SyncViewState
  readonly tone: "ok" | "busy" | "offline" | "warn" | "error"
  readonly headline: string
  /** One sentence on what is happening and what to do, when there is something to say. */
  readonly detail: string | undefined
  /** `detail` says why sync stopped for good (shown as an alert). */
  readonly stopped: boolean
  readonly pending: number
  readonly pendingText: string
  readonly lastSyncedText: string | undefined
  readonly refused: number
  readonly refusedText: string | undefined
}

export const ago = (then: number, now: number): string => {
  const s = Math.max(0, Math.round((now - then) / 1000))
  if (s < 5) return "just now"
  if (s < 90) return `${s} s ago`
  if (s < 90 * 60) return `${Math.round(s / 60)} min ago`
  if (s < 36 * 3600) return `${Math.round(s / 3600)} h ago`
  return new Date(then).toLocaleString()
}

const plural = (n: number, one: string, many: string): string => `${count(n)} ${n === 1 ? one : many}`

const KEPT = "Changes are saved on this device."

/** A retryable problem reaching the server, in words. */
export const describeRetry = (kind: string | undefined): string => {
  switch (kind) {
    case "Overloaded":
      return `The server is busy; retrying. ${KEPT}`
    case "Internal":
      return `The server had a problem; retrying. ${KEPT}`
    default:
      return `The server is not answering; retrying. ${KEPT}`
  }
}

type Phase = Pick<SyncView, "state" | "tone" | "headline" | "detail" | "stopped">

const phaseOf = (i: SyncInputs, pending: number): Phase => {
  const calm = { detail: undefined, stopped: false } as const
  if (i.saveFailed)
    return {
      state: "notSaved",
      tone: "error",
      headline: "Not saved on this device",
      detail:
        "This browser refused to store the latest change (storage full or blocked?). Keep this tab open, free some space and reload.",
      stopped: true,
    }
  if (i.workerFailed)
    return {
      state: "workerFailed",
      tone: "error",
      headline: "Sync not running",
      detail: `Sync could not start in this browser. Reload the page; ${KEPT.toLowerCase()}`,
      stopped: true,
    }
  if (i.fatal !== undefined) {
    const f = describeFatal(i.fatal)
    return { state: f.state, tone: "error", headline: f.headline, detail: f.detail, stopped: true }
  }
  if (!i.registered)
    return {
      state: "unregistered",
      tone: "warn",
      headline: "Not on the server yet",
      detail: !i.network
        ? `Offline: this workspace goes to the server when the device is back online. ${KEPT}`
        : i.report?.error !== undefined
          ? `This device can't reach the server to add this workspace; retrying. ${KEPT}`
          : "Adding this workspace to the server…",
      stopped: false,
    }
  if (!i.network)
    return {
      state: "offline",
      tone: "offline",
      headline: "Offline",
      detail: `No network. ${KEPT} They upload when the device is back online.`,
      stopped: false,
    }
  const r = i.report
  if (r === undefined) return { state: "starting", tone: "busy", headline: "Starting sync…", ...calm }
  if (r.state === "stopped")
    return {
      state: "stopped",
      tone: "error",
      headline: "Sync stopped",
      detail: `Sync stopped on this device. Reload the page to restart it; ${KEPT.toLowerCase()}`,
      stopped: true,
    }
  // A past error while catching up or live is history: only a connection attempt failing counts.
  if (r.state === "offline" || (r.state === "connecting" && r.error !== undefined))
    return {
      state: "unreachable",
      tone: "offline",
      headline: "Can't reach the server",
      detail: describeRetry(r.error?.kind),
      stopped: false,
    }
  switch (r.state) {
    case "connecting":
      return { state: "connecting", tone: "busy", headline: "Connecting…", ...calm }
    case "catchingUp":
      return { state: "catchingUp", tone: "busy", headline: "Catching up…", ...calm }
    case "live":
      return pending > 0
        ? { state: "uploading", tone: "busy", headline: "Uploading changes…", ...calm }
        : { state: "upToDate", tone: "ok", headline: "Up to date", ...calm }
    default:
      // "idle", or "unregistered" reported just before the token reached this tab.
      return { state: "starting", tone: "busy", headline: "Starting sync…", ...calm }
  }
}

export const syncView = (i: SyncInputs): SyncView => {
  // Every source that knows of waiting changes counts; the largest is the honest one while
  // they catch up with each other (a commit is in this tab before it is in IndexedDB). The last
  // count of IndexedDB plus what this tab stored since is at least what IndexedDB holds now;
  // the leader's report counts the same commits once it has them, so the two are not added
  // (they were: "2 changes waiting" for a moment after every keystroke).
  const stored = (i.outbox ?? 0) + (i.storedSinceCount ?? 0)
  const pending = Math.max(stored, i.report?.pending ?? 0) + i.unsaved
  const refused = Math.max(i.rejected ?? 0, i.report?.rejected ?? 0)
  const dates = [i.report?.oldestPendingAt, i.oldestPendingAt].filter((t): t is number => t !== undefined)
  const oldest = pending > 0 && dates.length > 0 ? Math.min(...dates) : undefined
  return {
    ...phaseOf(i, pending),
    pending,
    pendingText:
      pending === 0
        ? "All changes uploaded"
        : `${plural(pending, "change", "changes")} waiting to upload${oldest !== undefined ? ` · oldest ${ago(oldest, i.now)}` : ""}`,
    lastSyncedText:
      i.report?.lastSyncedAt !== undefined ? `Last synced ${ago(i.report.lastSyncedAt, i.now)}` : undefined,
    refused,
    refusedText: refused > 0 ? `${plural(refused, "change", "changes")} not uploaded` : undefined,
  }
}

/** How long after this tab's last edit the status bar may change its words again. */
export const SETTLE_MS = 300

/**
 * What the status bar shows while this tab's edits come in quick succession (`sinceLastEditMs`
 * ago): what it showed at the burst's first edit ("1 change waiting to upload") until the edits
 * pause, instead of recounting and flipping to "Up to date" and back at every keystroke. Each
 * change of its words was a frame of its own tens of milliseconds after a key, which made the
 * next key wait for a frame (keypress → paint p99 ~22 ms against ~9 ms for a quiet page). Held
 * only while the shown words say changes wait and sync stays in the same state (an error, a
 * refusal or going offline shows at once): it never says "Up to date" while anything waits.
 */
export const viewWhileEditing = (shown: SyncView, next: SyncView, sinceLastEditMs: number): SyncView =>
  sinceLastEditMs < SETTLE_MS &&
  shown.pending > 0 &&
  (next.pending === 0 || next.state === shown.state) &&
  next.refused === shown.refused &&
  next.detail === shown.detail
    ? shown
    : next
