import * as HttpApiSchema from "@effect/platform/HttpApiSchema"
import { Schema } from "effect"
import type { ErrorKind } from "../protocol/errors.js"

/**
 * HTTP errors. Each encodes as `{"error": {"kind", "message"}}` with its status; the
 * kind tells the client how to react (`reactionOf`). One class per status keeps the
 * OpenAPI document honest about which endpoint can answer what.
 */
/** The body `{"error": {"kind", "message"}}`; the literal kind also tells the classes apart when encoding. */
const body = <const K extends ReadonlyArray<ErrorKind>>(...kinds: K) => ({
  error: Schema.Struct({ kind: Schema.Literal(...kinds), message: Schema.String }),
})

export class BadRequest extends Schema.Class<BadRequest>("BadRequest")(
  body("BadRequest", "ClientTooOld"),
  HttpApiSchema.annotations({ status: 400 }),
) {}
export class Unauthorized extends Schema.Class<Unauthorized>("Unauthorized")(
  body("Unauthorized"),
  HttpApiSchema.annotations({ status: 401 }),
) {}
export class Forbidden extends Schema.Class<Forbidden>("Forbidden")(
  body("Forbidden"),
  HttpApiSchema.annotations({ status: 403 }),
) {}
export class NotFound extends Schema.Class<NotFound>("NotFound")(
  body("NotFound"),
  HttpApiSchema.annotations({ status: 404 }),
) {}
export class Conflict extends Schema.Class<Conflict>("Conflict")(
  body("Conflict"),
  HttpApiSchema.annotations({ status: 409 }),
) {}
export class PayloadTooLarge extends Schema.Class<PayloadTooLarge>("PayloadTooLarge")(
  body("PayloadTooLarge"),
  HttpApiSchema.annotations({ status: 413 }),
) {}
export class InvalidUpdate extends Schema.Class<InvalidUpdate>("InvalidUpdate")(
  body("InvalidUpdate"),
  HttpApiSchema.annotations({ status: 422 }),
) {}
export class Overloaded extends Schema.Class<Overloaded>("Overloaded")(
  body("Overloaded"),
  HttpApiSchema.annotations({ status: 429 }),
) {}
export class Unavailable extends Schema.Class<Unavailable>("Unavailable")(
  body("Unavailable"),
  HttpApiSchema.annotations({ status: 503 }),
) {}
export class Internal extends Schema.Class<Internal>("Internal")(
  body("Internal"),
  HttpApiSchema.annotations({ status: 500 }),
) {}

export const statusOfKind: Record<ErrorKind, number> = {
  BadRequest: 400,
  Unauthorized: 401,
  Forbidden: 403,
  NotFound: 404,
  Conflict: 409,
  ClientTooOld: 426,
  PayloadTooLarge: 413,
  InvalidUpdate: 422,
  Overloaded: 429,
  Unavailable: 503,
  Internal: 500,
}

const classOfKind = {
  BadRequest,
  ClientTooOld: BadRequest,
  Unauthorized,
  Forbidden,
  NotFound,
  Conflict,
  PayloadTooLarge,
  InvalidUpdate,
  Overloaded,
  Unavailable,
  Internal,
} as const
type ClassOfKind = typeof classOfKind

/** `apiError("Forbidden", "…")` builds the matching class instance. */
export const apiError = <K extends ErrorKind>(kind: K, message: string): InstanceType<ClassOfKind[K]> =>
  new (
    classOfKind[kind] as unknown as new (props: {
      error: { kind: K; message: string }
    }) => InstanceType<ClassOfKind[K]>
  )({
    error: { kind, message },
  })
