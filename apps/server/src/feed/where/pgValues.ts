/**
 * Postgres values as the feed sees them (their text output under TimeZone=UTC and
 * DateStyle=ISO, see WalConsumer.SESSION_OPTIONS), turned into JavaScript values that
 * compare exactly as Postgres compares them: text in code point order (what COLLATE "C"
 * does on UTF-8), bool false < true, dates and timestamps on the proleptic Gregorian
 * calendar with ±infinity, integers as bigint.
 */
import type { ValueType } from "./ast.js"

/** A timestamptz: days since 1970-01-01 and microseconds into that (UTC) day. */
export interface Ts {
  readonly d: number
  readonly us: number
}
export type Value = string | boolean | number | bigint | Ts

const US_PER_DAY = 86_400_000_000

/** Days since 1970-01-01 of a proleptic Gregorian date; `y` astronomical (1 BC = 0). */
const daysFromCivil = (y: number, m: number, d: number): number => {
  const yy = m <= 2 ? y - 1 : y
  const era = Math.floor(yy / 400)
  const yoe = yy - era * 400
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy
  return era * 146097 + doe - 719468
}

const civilFromDays = (z: number): [number, number, number] => {
  const zz = z + 719468
  const era = Math.floor(zz / 146097)
  const doe = zz - era * 146097
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365)
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100))
  const mp = Math.floor((5 * doy + 2) / 153)
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1
  const m = mp + (mp < 10 ? 3 : -9)
  return [era * 400 + yoe + (m <= 2 ? 1 : 0), m, d]
}

const DATE = /^(\d{4,})-(\d{2})-(\d{2})( BC)?$/
const TS =
  /^(\d{4,})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?([+-]\d{2})(?::(\d{2}))?(?::(\d{2}))?( BC)?$/

const year = (digits: string, bc: string | undefined) => (bc ? 1 - Number(digits) : Number(digits))

export const parseDate = (s: string): number => {
  if (s === "infinity") return Number.POSITIVE_INFINITY
  if (s === "-infinity") return Number.NEGATIVE_INFINITY
  const m = DATE.exec(s)
  if (!m) throw new Error(`not an ISO date: ${s}`)
  return daysFromCivil(year(m[1]!, m[4]), Number(m[2]), Number(m[3]))
}

export const parseTs = (s: string): Ts => {
  if (s === "infinity") return { d: Number.POSITIVE_INFINITY, us: 0 }
  if (s === "-infinity") return { d: Number.NEGATIVE_INFINITY, us: 0 }
  const m = TS.exec(s)
  if (!m) throw new Error(`not an ISO timestamptz: ${s}`)
  const days = daysFromCivil(year(m[1]!, m[11]), Number(m[2]), Number(m[3]))
  const sign = m[8]!.startsWith("-") ? -1 : 1
  const offsetS = sign * (Math.abs(Number(m[8])) * 3600 + Number(m[9] ?? 0) * 60 + Number(m[10] ?? 0))
  const us =
    ((Number(m[4]) * 60 + Number(m[5])) * 60 + Number(m[6]) - offsetS) * 1_000_000 + Number((m[7] ?? "").padEnd(6, "0"))
  // Normalise into [0, one day): an offset can move the instant across midnight.
  const carry = Math.floor(us / US_PER_DAY)
  return { d: days + carry, us: us - carry * US_PER_DAY }
}

const pad = (n: number, w: number) => String(n).padStart(w, "0")

export const formatDate = (days: number): string => {
  if (days === Number.POSITIVE_INFINITY) return "infinity"
  if (days === Number.NEGATIVE_INFINITY) return "-infinity"
  const [y, m, d] = civilFromDays(days)
  return y > 0 ? `${pad(y, 4)}-${pad(m, 2)}-${pad(d, 2)}` : `${pad(1 - y, 4)}-${pad(m, 2)}-${pad(d, 2)} BC`
}

/** As Postgres prints a timestamptz in UTC: trailing zeros of the fraction dropped. */
export const formatTs = (t: Ts): string => {
  if (!Number.isFinite(t.d)) return t.d > 0 ? "infinity" : "-infinity"
  const date = formatDate(t.d)
  const [day, bc] = date.endsWith(" BC") ? [date.slice(0, -3), " BC"] : [date, ""]
  const secs = Math.floor(t.us / 1_000_000)
  const frac = t.us - secs * 1_000_000
  const time = `${pad(Math.floor(secs / 3600), 2)}:${pad(Math.floor(secs / 60) % 60, 2)}:${pad(secs % 60, 2)}`
  const f = frac === 0 ? "" : `.${pad(frac, 6).replace(/0+$/, "")}`
  return `${day} ${time}${f}+00${bc}`
}

/** Code point order, i.e. the byte order of UTF-8: what COLLATE "C" compares. */
export const compareText = (a: string, b: string): number => {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i)
    const y = b.charCodeAt(i)
    if (x !== y) {
      // Only surrogates (code points past U+FFFF) sort differently from UTF-16 units.
      if ((x & 0xf800) === 0xd800 || (y & 0xf800) === 0xd800) return a.codePointAt(i)! - b.codePointAt(i)!
      return x - y
    }
  }
  return a.length - b.length
}

export const parseValue = (ty: ValueType, text: string): Value => {
  switch (ty) {
    case "text":
      return text
    case "bool":
      return text === "t" || text === "true"
    case "date":
      return parseDate(text)
    case "timestamptz":
      return parseTs(text)
    case "int":
      return BigInt(text)
  }
}

export const compareValues = (ty: ValueType, a: Value, b: Value): number => {
  switch (ty) {
    case "text":
      return compareText(a as string, b as string)
    case "bool":
      return Number(a) - Number(b)
    case "date":
      return a === b ? 0 : (a as number) < (b as number) ? -1 : 1
    case "timestamptz": {
      const x = a as Ts
      const y = b as Ts
      return x.d === y.d ? x.us - y.us : x.d < y.d ? -1 : 1
    }
    case "int":
      return a === b ? 0 : (a as bigint) < (b as bigint) ? -1 : 1
  }
}

/** The text a value casts to (`x::text`), as Postgres prints it under the feed's settings. */
export const valueToText = (ty: ValueType, v: Value): string => {
  switch (ty) {
    case "text":
      return v as string
    case "bool":
      return v ? "true" : "false"
    case "date":
      return formatDate(v as number)
    case "timestamptz":
      return formatTs(v as Ts)
    case "int":
      return String(v)
  }
}

export const dateToTs = (days: number): Ts => ({ d: days, us: 0 })
export const tsToDate = (t: Ts): number => t.d
