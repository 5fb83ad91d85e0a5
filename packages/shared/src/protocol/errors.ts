import { Schema } from "effect"

/**
 * Every error that crosses the wire has one of these kinds, grouped by what the
 * client must do about it (see SPEC.md):
 * - fatal: stop syncing and tell the user (unauthorized, forbidden, not found, client too old)
 * - retry: back off with jitter and try again (overloaded, unavailable, internal)
 * - rejected: this one request or update is refused; do not resend it unchanged
 */
export const ErrorKind = Schema.Literal(
  "Unauthorized",
  "Forbidden",
  "NotFound",
  "ClientTooOld",
  "Conflict",
  "BadRequest",
  "PayloadTooLarge",
  "InvalidUpdate",
  "Overloaded",
  "Unavailable",
  "Internal",
)
export type ErrorKind = typeof ErrorKind.Type

export type ErrorReaction = "fatal" | "retry" | "rejected"

export const reactionOf = (kind: ErrorKind): ErrorReaction => {
  switch (kind) {
    case "Unauthorized":
    case "Forbidden":
    case "NotFound":
    case "ClientTooOld":
      return "fatal"
    case "Overloaded":
    case "Unavailable":
    case "Internal":
      return "retry"
    case "Conflict":
    case "BadRequest":
    case "PayloadTooLarge":
    case "InvalidUpdate":
      return "rejected"
  }
}

/** The JSON body of every HTTP error: `{"error": {"kind", "message"}}`. */
export const WireError = Schema.Struct({ kind: ErrorKind, message: Schema.String })
export type WireError = typeof WireError.Type
export const ErrorBody = Schema.Struct({ error: WireError })

/** WebSocket close codes the server uses (4000-4999 are application codes). */
export const CloseCode = {
  Normal: 1000,
  GoingAway: 1001,
  UnsupportedData: 1003,
  InvalidPayload: 1007,
  PolicyViolation: 1008,
  MessageTooBig: 1009,
  Unauthorized: 4001,
  Forbidden: 4003,
  AuthTimeout: 4008,
  SlowConsumer: 4009,
  ClientTooOld: 4010,
  TokenRevoked: 4011,
  ServerShutdown: 4012,
} as const
