import { Either, Schema } from "effect"
import { decodeSafely } from "../protocol/decodeSafely.js"
import { CloseCode, ErrorBody, type ErrorKind, type WireError } from "../protocol/errors.js"

const decodeErrorBody = decodeSafely(Schema.parseJson(ErrorBody))

/** The kind a bare HTTP status means when the body does not say (e.g. a proxy's HTML page). */
export const kindOfStatus = (status: number): ErrorKind => {
  if (status === 401) return "Unauthorized"
  if (status === 403) return "Forbidden"
  if (status === 404) return "NotFound"
  if (status === 409) return "Conflict"
  if (status === 413) return "PayloadTooLarge"
  if (status === 426) return "ClientTooOld"
  if (status === 422) return "InvalidUpdate"
  if (status === 429) return "Overloaded"
  if (status === 502 || status === 503 || status === 504) return "Unavailable"
  if (status >= 500) return "Internal"
  return "BadRequest"
}

/** Reads `{"error": {kind, message}}`; falls back to the status when the body is anything else. */
export const wireErrorOf = (status: number, text: string): WireError => {
  const body = decodeErrorBody(text)
  if (Either.isRight(body)) return body.right.error
  return { kind: kindOfStatus(status), message: `HTTP ${status}` }
}

/** What a close code means for the engine: fatal kinds stop it, the rest reconnect. */
export const kindOfCloseCode = (code: number): ErrorKind => {
  switch (code) {
    case CloseCode.Unauthorized:
    case CloseCode.TokenRevoked:
      return "Unauthorized"
    case CloseCode.Forbidden:
      return "Forbidden"
    case CloseCode.ClientTooOld:
      return "ClientTooOld"
    case CloseCode.SlowConsumer:
      return "Overloaded"
    default:
      return "Unavailable"
  }
}
