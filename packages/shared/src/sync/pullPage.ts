import { decodeUpdates } from "../protocol/updatesBody.js"
import type { PullPage } from "./Transport.js"

/**
 * Checks a pull response at the trust boundary: the body must parse, its seqs must lie
 * in `(after, cursor]`, and the cursor header must be a whole number not below `after`.
 * Returns a reason string for anything else, so garbage is never stored.
 */
export const decodePullPage = (
  body: Uint8Array,
  cursorHeader: string | null,
  moreHeader: string | null,
  after: number,
): PullPage | string => {
  const updates = decodeUpdates(body)
  if (typeof updates === "string") return updates
  const last = updates.at(-1)
  let cursor = after
  if (cursorHeader !== null) {
    if (!/^\d{1,16}$/.test(cursorHeader.trim())) return "cursor header is not a whole number"
    cursor = Number(cursorHeader.trim())
  } else if (last !== undefined) {
    return "cursor header missing"
  }
  if (cursor < after) return `cursor ${cursor} is below the requested ${after}`
  if (last !== undefined && (updates[0]!.seq <= after || last.seq > cursor)) return "seqs outside (after, cursor]"
  if (moreHeader !== null && moreHeader !== "0" && moreHeader !== "1") return "bad more header"
  return { updates, cursor, more: moreHeader === "1" }
}
