/** One contiguous edit of a text: remove `remove` UTF-16 units at `index`, then insert `insert` there. */
export interface TextEdit {
  readonly index: number
  readonly remove: number
  readonly insert: string
}

const isHigh = (c: number) => c >= 0xd800 && c <= 0xdbff
const isLow = (c: number) => c >= 0xdc00 && c <= 0xdfff

/**
 * The edit that turns `from` into `to` keeping their common prefix and suffix: linear time,
 * and exactly the user's edit for what one input event does (typing, a paste, a cut).
 * `LoroText.update` computes a Myers diff instead, which takes over a minute for a large paste
 * into a short text (100,000 new characters). Never splits a surrogate pair.
 */
export const textEdit = (from: string, to: string): TextEdit => {
  const shorter = Math.min(from.length, to.length)
  let start = 0
  while (start < shorter && from.charCodeAt(start) === to.charCodeAt(start)) start++
  if (start > 0 && isHigh(from.charCodeAt(start - 1))) start--
  let end = 0
  while (end < shorter - start && from.charCodeAt(from.length - 1 - end) === to.charCodeAt(to.length - 1 - end)) end++
  if (end > 0 && isLow(from.charCodeAt(from.length - end))) end--
  return { index: start, remove: from.length - start - end, insert: to.slice(start, to.length - end) }
}
