import type { JsonOp } from "loro-crdt"

/** What a text op check needs from the document (see `OpsContext`). */
export interface TextBounds {
  readonly versionEnd: (peer: string) => number
  readonly maxTextPosition: number
}

const OP_ID = /^(0|[1-9][0-9]{0,9})@(0|[1-9][0-9]{0,19})$/

const isIndex = (n: unknown, max: number): n is number =>
  Number.isSafeInteger(n) && (n as number) >= 0 && (n as number) <= max

/**
 * Why a decoded op cannot be an edit of a plain-text description, or undefined. Positions
 * are in Unicode scalars, relative to the text as the op's author saw it, so they are
 * checked against a bound that holds for every honest op rather than the text's length now.
 * A delete's `len` is negative when it ran backwards (repeated backspace); its `start_id`
 * and the ids after it must exist. Rich-text marks are not part of the layout.
 */
export const textOpProblem = (
  content: JsonOp["content"],
  bounds: TextBounds,
  isText: (s: unknown) => boolean,
): string | undefined => {
  const c = content as { type?: unknown; pos?: unknown; text?: unknown; len?: unknown; start_id?: unknown }
  const max = bounds.maxTextPosition
  switch (c.type) {
    case "insert":
      if (!isIndex(c.pos, max)) return "text insert at an impossible position"
      if (typeof c.text !== "string" || c.text.length === 0 || !isText(c.text))
        return "text insert of no or too much text"
      return undefined
    case "delete": {
      if (!isIndex(c.pos, max)) return "text delete at an impossible position"
      const len = c.len
      if (!Number.isSafeInteger(len) || len === 0 || Math.abs(len as number) > max) return "text delete of a bad length"
      const first = (c.pos as number) + Math.min(0, (len as number) + 1)
      if (first < 0 || first + Math.abs(len as number) > max) return "text delete outside the text"
      const id = typeof c.start_id === "string" ? OP_ID.exec(c.start_id) : null
      if (id === null) return "text delete without a valid start id"
      if (Number(id[1]) + Math.abs(len as number) > bounds.versionEnd(id[2]!))
        return "text delete of unknown characters"
      return undefined
    }
    default:
      return `${String(c.type)} op on a plain-text description`
  }
}
