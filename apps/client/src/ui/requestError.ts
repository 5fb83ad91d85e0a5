import { ServerCallError } from "../api/callServer.js"

/**
 * What a failed call to the server (share links, backups) means to a person. `callServer`
 * rejects with a `ServerCallError`; its details are not fit for the screen, so they go to the
 * console.
 */
export const describeRequestError = (e: unknown): string => {
  console.warn("server request failed", e)
  const failure = e instanceof ServerCallError ? e : new ServerCallError({ reason: "unreadable" })
  if (failure.reason === "unreachable" || (typeof navigator !== "undefined" && !navigator.onLine))
    return "Can't reach the server. Check the connection and try again."
  if (failure.reason === "unreadable") return "The server's answer could not be read. Reload the page and try again."
  switch (failure.kind ?? "") {
    case "Unauthorized":
      return "The server no longer accepts this device's link (revoked or expired)."
    case "Forbidden":
      return "Only the workspace's owner can do this."
    case "NotFound":
      return "The server does not have this any more (deleted, perhaps on another device)."
    case "PayloadTooLarge":
      return "That is too large for the server."
    case "Overloaded":
    case "Unavailable":
      return "The server is busy or restarting. Try again in a moment."
  }
  if (failure.status !== undefined && failure.status >= 500) return "The server had a problem. Try again in a moment."
  return "The server refused this request."
}
