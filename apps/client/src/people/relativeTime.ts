import { intlLater } from "../ui/intl.js"

const units: ReadonlyArray<[Intl.RelativeTimeFormatUnit, number]> = [
  ["year", 365 * 86_400_000],
  ["month", 30 * 86_400_000],
  ["week", 7 * 86_400_000],
  ["day", 86_400_000],
  ["hour", 3_600_000],
  ["minute", 60_000],
]

const rtf = intlLater(() => new Intl.RelativeTimeFormat("en", { numeric: "auto" }))

/** "just now", "5 minutes ago", "yesterday": the time of a comment or version as people say it. */
export const relativeTime = (at: number, now: number): string => {
  const diff = at - now
  if (Math.abs(diff) < 45_000) return "just now"
  for (const [unit, ms] of units)
    if (Math.abs(diff) >= ms || unit === "minute") return rtf().format(Math.round(diff / ms), unit)
  return "just now"
}

/** The exact time, for the hover title and `<time dateTime>`. */
export const exactTime = (at: number): string => dateTime().format(at)

/** What `Date.toLocaleString()` shows, with one formatter (it builds one per call). */
const dateTime = intlLater(
  () =>
    new Intl.DateTimeFormat(undefined, {
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    }),
)
