import { ErrorBody } from "@vibestack/shared"
import { Either, Schema } from "effect"

const decodeBody = Schema.decodeUnknownEither(Schema.parseJson(ErrorBody))

/**
 * What a failed call to the server (share links, backups) means to a person. `serverApi`
 * throws `Error("<status>: <body>")` for an answer that is not ok and a `TypeError` when the
 * request never got an answer; neither text is fit for the screen, so it goes to the console.
 */
export const describeRequestError = (e: unknown): string => {
  console.warn("server request failed", e)
  if (e instanceof TypeError || (typeof navigator !== "undefined" && !navigator.onLine))
    return "Can't reach the server. Check the connection and try again."
  const text = e instanceof Error ? e.message : ""
  const status = Number(/^(\d{3}):/.exec(text)?.[1] ?? Number.NaN)
  const body = decodeBody(text.replace(/^\d{3}:\s*/, ""))
  const kind = Either.isRight(body) ? body.right.error.kind : undefined
  switch (kind ?? "") {
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
  if (Number.isNaN(status)) return "The server's answer could not be read. Reload the page and try again."
  if (status >= 500) return "The server had a problem. Try again in a moment."
  return "The server refused this request."
}
