import { snapshotMessages, valueJson } from "./messages.js"

/**
 * Snapshot rows read with `COPY … TO STDOUT` (text format) turned into insert messages,
 * without a JavaScript string per column as a cursor's rows cost (profiled: the node-pg
 * row parse was most of an initial sync's time on the server).
 *
 * COPY's text format: columns separated by a tab, rows by a newline, NULL as `\N`, a
 * backslash written `\\`, and `\b \f \n \r \t \v` for those control characters (other
 * control characters are written as they are). A row with no backslash but `\N` fields, no
 * `"` and no control character is already valid JSON string content column by column: it
 * is wrapped in quotes as it is. Any other row is unescaped and encoded properly.
 */

/** A row that needs the careful path: a quote, a raw control character, or a backslash that is not a NULL. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: COPY leaves these raw; JSON must escape them
const DIRTY = /["\u0000-\u0008\u000b-\u001f]|\\(?!N(?:\t|\n|$))/

const ESCAPES: Record<string, string> = { b: "\b", f: "\f", n: "\n", r: "\r", t: "\t", v: "\v", "\\": "\\" }

/** A COPY text field's value (null for `\N`). */
export const unescapeCopy = (field: string): string | null => {
  if (field === "\\N") return null
  if (!field.includes("\\")) return field
  return field.replace(/\\(.)/g, (_, c: string) => ESCAPES[c] ?? c)
}

/**
 * A decoder for one snapshot's COPY output of `id, <selected columns>`: feed it the raw
 * bytes as they come (rows may be cut anywhere, even inside a UTF-8 character), get the
 * messages of the whole rows so far.
 */
export const copyMessages = (table: string, ws: string, names: ReadonlyArray<string>) => {
  const message = snapshotMessages(table, ws)
  const toJson = valueJson(names)
  const keys = names.map((n, i) => `${i === 0 ? "{" : ","}${JSON.stringify(n)}:`)
  const ncols = names.length
  let rest: Buffer | undefined

  const careful = (line: string): string => {
    const fields = line.split("\t").map(unescapeCopy)
    return message(fields[0]!, toJson(fields, 1))
  }

  const fast = (line: string): string => {
    let from = line.indexOf("\t")
    const id = line.slice(0, from)
    let value = ""
    for (let i = 0; i < ncols; i++) {
      const to = i === ncols - 1 ? line.length : line.indexOf("\t", from + 1)
      const field = line.slice(from + 1, to)
      value += keys[i] + (field === "\\N" ? "null" : `"${field}"`)
      from = to
    }
    return message(id, `${value}}`)
  }

  /** Messages of the rows completed by `chunk`. */
  const push = (chunk: Buffer, out: Array<string>): void => {
    const buf = rest ? Buffer.concat([rest, chunk]) : chunk
    const end = buf.lastIndexOf(10)
    if (end < 0) {
      rest = buf
      return
    }
    rest = end + 1 < buf.length ? buf.subarray(end + 1) : undefined
    const text = buf.toString("utf8", 0, end)
    const clean = !DIRTY.test(text)
    let start = 0
    for (;;) {
      const nl = text.indexOf("\n", start)
      const line = nl < 0 ? text.slice(start) : text.slice(start, nl)
      out.push(clean || !DIRTY.test(line) ? fast(line) : careful(line))
      if (nl < 0) return
      start = nl + 1
    }
  }

  /** The stream ended: anything left is a row without its newline (COPY always ends one). */
  const end = (out: Array<string>): void => {
    if (rest && rest.length > 0) out.push(careful(rest.toString("utf8")))
    rest = undefined
  }

  return { push, end }
}
