import type { FatalError } from "@vibestack/shared"

/**
 * Why sync stopped for good on a workspace, as a person should read it (SPEC C6, UI rule U2).
 * The leader records the server's error on the workspace meta as `{ kind, message }` (the
 * server's words, e.g. "token revoked"); the stores turn older builds' `"Kind: message"` into
 * that shape (`normalizeFatal`, Dexie v3), so nothing here parses a string.
 * Refused changes never get here: they are set aside and sync goes on (C14, U3).
 */
export type FatalState = "revoked" | "expired" | "badLink" | "viewOnly" | "noAccess" | "gone" | "appTooOld" | "stopped"

export interface FatalView {
  readonly state: FatalState
  /** A few words for the status bar. */
  readonly headline: string
  /** What happened and what to do. */
  readonly detail: string
}

const KEPT = "your copy stays on this device, read-only"

export const describeFatal = ({ kind, message }: FatalError): FatalView => {
  switch (kind) {
    case "Unauthorized":
      if (/revoked/i.test(message))
        return {
          state: "revoked",
          headline: "Access revoked",
          detail: `The owner revoked this device's link. Ask them for a new link; ${KEPT}.`,
        }
      if (/expired/i.test(message))
        return {
          state: "expired",
          headline: "Link expired",
          detail: `This device's link has expired. Ask the workspace's owner for a new link; ${KEPT}.`,
        }
      return {
        state: "badLink",
        headline: "Link not accepted",
        detail: `The server does not accept this device's link. Ask the workspace's owner for a new link; ${KEPT}.`,
      }
    case "Forbidden":
      if (/viewer/i.test(message))
        return {
          state: "viewOnly",
          headline: "View-only link",
          detail: "This link lets you view, not edit. Ask the workspace's owner for an editor link to make changes.",
        }
      return {
        state: "noAccess",
        headline: "No access",
        detail: `This device's link does not open this workspace. Ask the workspace's owner for a new link; ${KEPT}.`,
      }
    case "NotFound":
      return {
        state: "gone",
        headline: "Workspace not on the server",
        detail: `The server no longer has this workspace; ${KEPT}.`,
      }
    case "ClientTooOld":
      return {
        state: "appTooOld",
        headline: "App out of date",
        detail:
          "The server needs a newer version of this app. Reload the page to update; your changes stay on this device.",
      }
    default:
      return {
        state: "stopped",
        headline: "Sync stopped",
        detail:
          "The server stopped accepting this device's changes. Reload the page; your changes stay on this device.",
      }
  }
}
