import { Schema } from "effect"

/** Milliseconds since the Unix epoch (what Loro stores; SQL gets `timestamptz`). */
export const EpochMillis = Schema.Number.pipe(Schema.int(), Schema.between(0, 8_640_000_000_000_000))
export type EpochMillis = typeof EpochMillis.Type

/** `#rrggbb`, lower or upper case. */
export const Color = Schema.String.pipe(Schema.pattern(/^#[0-9a-fA-F]{6}$/))
export type Color = typeof Color.Type

/** A short, non-blank, single-line display name. */
export const Name = (max: number) =>
  Schema.String.pipe(Schema.minLength(1), Schema.maxLength(max), Schema.pattern(/^[^\n\r]*\S[^\n\r]*$/))

const isRealDate = (s: string): boolean => {
  const d = new Date(`${s}T00:00:00Z`)
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s
}

/** A calendar date `YYYY-MM-DD` that exists (no 2024-02-30). */
export const IsoDate = Schema.String.pipe(
  Schema.pattern(/^\d{4}-\d{2}-\d{2}$/),
  Schema.filter(isRealDate, { message: () => "not a real calendar date" }),
)
export type IsoDate = typeof IsoDate.Type
