import { fail } from "./WhereError.js"

/** One character of a pattern segment: a code point, or `_` (any one character). */
type Item = number | -1
const ANY = -1

/** ASCII-only case folding: what ILIKE does under COLLATE "C". */
export const asciiLower = (s: string): string => s.replace(/[A-Z]+/g, (m) => m.toLowerCase())

const codePoints = (s: string): Array<number> => Array.from(s, (c) => c.codePointAt(0)!)

/**
 * A LIKE/ILIKE pattern (`%`, `_`, `\` escapes the next character) compiled into its
 * `%`-separated segments. Matching anchors the first and last segment and finds each
 * middle one leftmost: linear in the value per segment, never backtracking across `%`
 * (a hostile pattern cannot make evaluation explode).
 */
export const likeMatcher = (pattern: string, ci: boolean): ((value: string) => boolean) => {
  const segs: Array<Array<Item>> = [[]]
  const cps = codePoints(ci ? asciiLower(pattern) : pattern)
  for (let i = 0; i < cps.length; i++) {
    const c = cps[i]!
    if (c === 0x5c) {
      if (i + 1 >= cps.length) fail("LIKE pattern must not end with the escape character \\")
      segs[segs.length - 1]!.push(cps[++i]!)
    } else if (c === 0x25) segs.push([])
    else segs[segs.length - 1]!.push(c === 0x5f ? ANY : c)
  }
  const first = segs[0]!
  const last = segs[segs.length - 1]!
  const middle = segs.slice(1, -1).filter((s) => s.length > 0)
  const matchAt = (v: ReadonlyArray<number>, seg: ReadonlyArray<Item>, at: number) => {
    for (let j = 0; j < seg.length; j++) if (seg[j] !== ANY && seg[j] !== v[at + j]) return false
    return true
  }
  return (value: string) => {
    const v = codePoints(ci ? asciiLower(value) : value)
    if (segs.length === 1) return v.length === first.length && matchAt(v, first, 0)
    if (v.length < first.length + last.length || !matchAt(v, first, 0)) return false
    const end = v.length - last.length
    if (!matchAt(v, last, end)) return false
    let pos = first.length
    for (const seg of middle) {
      let at = pos
      while (at + seg.length <= end && !matchAt(v, seg, at)) at++
      if (at + seg.length > end) return false
      pos = at + seg.length
    }
    return true
  }
}
