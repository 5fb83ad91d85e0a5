import { Either, Schema } from "effect"

/**
 * `Schema.decodeUnknownEither` that never throws, for bytes from the network. Effect formats the
 * offending value into its error, and valid JSON such as `{"_tag":[{"toString":0}]}` makes that
 * formatting throw (`Cannot convert object to primitive value`, found by the [B3] fuzz): such
 * input is a Left like any other malformed message.
 */
export const decodeSafely = <A, I>(schema: Schema.Schema<A, I, never>) => {
  // Compiled at the first decode, not when the module loads: the web app's modules make their
  // decoders at load, in the first tasks of a page that has to show something quickly.
  let decode: ((input: unknown) => Either.Either<A, unknown>) | undefined
  return (input: unknown): Either.Either<A, unknown> => {
    try {
      decode ??= Schema.decodeUnknownEither(schema)
      return decode(input)
    } catch (error) {
      return Either.left(error)
    }
  }
}
