import { Data } from "effect"

/** A `where`, `params` or `columns` the feed refuses; `message` is what the 400 says. */
export class WhereError extends Data.TaggedError("WhereError")<{ readonly message: string }> {}

/** Thrown inside the pure parser and binder, caught at their entry points. */
export function fail(message: string): never {
  throw new WhereError({ message })
}
