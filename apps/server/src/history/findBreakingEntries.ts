import { Effect } from "effect"
import type { DocumentVerdict } from "../pool/ops/validateDocument.js"

export interface BreakingEntry {
  /** Index in the log given. */
  readonly index: number
  readonly reason: string
}

/**
 * Which entries of a document's log break it: an entry is taken out when the log up to and
 * including it fails the whole-document check while the log before it passes. Each one found
 * is replaced by `empty` (a no-op update) and the search goes on after it, so entries that
 * only break because they build on a removed one are found the same way.
 *
 * Bisection over prefixes: about (removed + 1) · log2(n) checks instead of one per entry,
 * assuming a prefix that fails keeps failing as entries are added (true of a broken container
 * or a missing dependency; an entry whose dependency only arrives later in the log would be
 * taken out even though the whole log would have healed it).
 */
export const findBreakingEntries = <E, R>(
  log: ReadonlyArray<Uint8Array>,
  empty: Uint8Array,
  check: (blobs: ReadonlyArray<Uint8Array>) => Effect.Effect<DocumentVerdict, E, R>,
): Effect.Effect<{ readonly breaking: ReadonlyArray<BreakingEntry>; readonly checks: number }, E, R> =>
  Effect.gen(function* () {
    const active = [...log]
    const breaking: Array<BreakingEntry> = []
    let checks = 0
    const prefix = (n: number) => {
      checks++
      return check(active.slice(0, n))
    }
    // The empty prefix passes; `good` is the longest prefix known to pass.
    let good = 0
    for (;;) {
      const whole = yield* prefix(active.length)
      if (whole.ok) break
      let lo = good
      let hi = active.length
      let reason = whole.reason
      while (hi - lo > 1) {
        const mid = (lo + hi) >> 1
        const v = yield* prefix(mid)
        if (v.ok) lo = mid
        else {
          hi = mid
          reason = v.reason
        }
      }
      breaking.push({ index: hi - 1, reason: reason.replace(/^update \d+ /, "the entry ") })
      active[hi - 1] = empty
      good = hi
    }
    return { breaking, checks }
  })
