import { Data, Either, ParseResult, Schema } from "effect"
import type { Collection } from "./layout.js"

/**
 * A local write the helpers refused (invalid input, unknown or unreadable entity, bad position).
 * Thrown synchronously; nothing was written to the document when it is thrown.
 */
export class InvalidWrite extends Data.TaggedError("InvalidWrite")<{
  readonly collection: Collection
  readonly id: string
  readonly message: string
}> {}

/** Decodes `value` with `schema` or throws `InvalidWrite` with a readable reason. */
export const validateWrite = <A, I>(
  schema: Schema.Schema<A, I>,
  collection: Collection,
  id: string,
  value: unknown,
): A => {
  const r = Schema.decodeUnknownEither(schema)(value)
  if (Either.isRight(r)) return r.right
  throw new InvalidWrite({
    collection,
    id,
    message: `invalid ${collection} write: ${ParseResult.TreeFormatter.formatErrorSync(r.left)}`,
  })
}
