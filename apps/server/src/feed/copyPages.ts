import { snapshotHead, snapshotMessages, valueJson } from "./messages.js"

/**
 * Snapshot rows read with `COPY … TO STDOUT` (text format) written straight into page
 * bodies as bytes: no JavaScript string per row or column, no UTF-8 decoding and
 * re-encoding (profiled: building messages as strings, then the pages' garbage, were most
 * of an initial sync's CPU on the server).
 *
 * COPY's text format: columns separated by a tab, rows by a newline, NULL as `\N`, a
 * backslash written `\\`, and `\b \f \n \r \t \v` for those control characters (others are
 * written as they are). A row without `"`, control characters or backslashes (but `\N`
 * fields) is valid JSON string content column by column: its bytes are copied between the
 * message's fixed parts. Any other row is unescaped and encoded as a string (`careful`).
 */

const QUOTE = 0x22
const BACKSLASH = 0x5c
const TAB = 0x09
const NEWLINE = 0x0a
const LETTER_N = 0x4e

const ESCAPES: Record<string, string> = { b: "\b", f: "\f", n: "\n", r: "\r", t: "\t", v: "\v", "\\": "\\" }

/** A COPY text field's value (null for `\N`). */
export const unescapeCopy = (field: string): string | null => {
  if (field === "\\N") return null
  if (!field.includes("\\")) return field
  return field.replace(/\\(.)/g, (_, c: string) => ESCAPES[c] ?? c)
}

const enc = (s: string) => Buffer.from(s, "utf8")

/**
 * Pages of insert messages for one snapshot's COPY output of `id, <columns>`: `push` the
 * raw bytes as they come (rows may be cut anywhere, even inside a UTF-8 character), `add`
 * a message of a row read elsewhere, `end` for the last page. A page is handed to `emit`
 * once it holds `pageBytes` and a row of the next page exists (so no served page but the
 * last is empty, and the last knows it is last). Rows whose id is in `skip` are left out
 * (an initial sync rebuilds them; see readSnapshot.ts).
 */
export const copyPages = (
  table: string,
  ws: string,
  names: ReadonlyArray<string>,
  pageBytes: number,
  emit: (page: Uint8Array) => void,
  skip: ReadonlySet<string> = new Set(),
) => {
  const message = snapshotMessages(table, ws)
  const toJson = valueJson(names)
  // `{…,"key":"\"public\".\"tasks\"/\"<ws>\"/\"` <id> `\"","value":` <value> `}`
  const head = enc(`${snapshotHead(table, ws)}\\"`)
  const afterId = enc(`\\"","value":`)
  const keys = names.map((n, i) => enc(`${i === 0 ? "{" : ","}${JSON.stringify(n)}:`))
  const NULL = enc("null")
  const fixed = head.length + afterId.length + keys.reduce((n, k) => n + k.length, 0) + names.length * 2 + 4
  const ncols = names.length

  let page = Buffer.allocUnsafe(pageBytes + 65_536)
  let pos = 1
  page[0] = 0x5b // [
  let count = 0
  let rest: Buffer | undefined

  const room = (n: number) => {
    if (pos + n <= page.length) return
    const bigger = Buffer.allocUnsafe(Math.max(page.length * 2, pos + n))
    page.copy(bigger, 0, 0, pos)
    page = bigger
  }
  /** Starts a message of at most `n` bytes: a new page first if this one is full. */
  const begin = (n: number) => {
    if (pos >= pageBytes && count > 0) {
      page[pos++] = 0x5d // ]
      emit(page.subarray(0, pos))
      page = Buffer.allocUnsafe(Math.max(pageBytes + 65_536, n + 2))
      page[0] = 0x5b
      pos = 1
      count = 0
    }
    room(n + 2)
    if (count++ > 0) page[pos++] = 0x2c // ,
  }
  const add = (m: string) => {
    begin(Buffer.byteLength(m))
    pos += page.write(m, pos)
  }
  const careful = (line: string) => {
    const fields = line.split("\t").map(unescapeCopy)
    return message(fields[0]!, toJson(fields, 1))
  }
  /** Row bytes [s, e) of `buf`, without the newline. */
  const row = (buf: Buffer, s: number, e: number) => {
    begin(fixed + (e - s))
    // Locals, not the closure's variables: this loop runs for every byte of the snapshot.
    const out = page
    const start = pos
    let p = pos
    let dirty = false
    let i = s
    out.set(head, p)
    p += head.length
    for (; i < e; i++) {
      const b = buf[i]!
      if (b === TAB) break
      if (b === QUOTE || b === BACKSLASH || b < 0x20) dirty = true
      out[p++] = b
    }
    out.set(afterId, p)
    p += afterId.length
    for (let c = 0; c < ncols && !dirty; c++) {
      if (i >= e) dirty = true // too few columns: let the careful path say what it is
      i++
      const key = keys[c]!
      out.set(key, p)
      p += key.length
      if (buf[i] === BACKSLASH && buf[i + 1] === LETTER_N && (i + 2 === e || buf[i + 2] === TAB)) {
        out.set(NULL, p)
        p += 4
        i += 2
        continue
      }
      out[p++] = QUOTE
      for (; i < e; i++) {
        const b = buf[i]!
        if (b === TAB) break
        if (b === QUOTE || b === BACKSLASH || b < 0x20) dirty = true
        out[p++] = b
      }
      out[p++] = QUOTE
    }
    if (dirty || i !== e) {
      const m = careful(buf.toString("utf8", s, e))
      pos = start
      room(Buffer.byteLength(m))
      pos += page.write(m, pos)
      return
    }
    out[p++] = 0x7d // }
    out[p++] = 0x7d
    pos = p
  }

  /** Whether the row [s, e) is one to leave out. */
  const skipped = (buf: Buffer, s: number, e: number): boolean => {
    if (skip.size === 0) return false
    const tab = buf.indexOf(TAB, s)
    return skip.has(unescapeCopy(buf.toString("utf8", s, tab < 0 || tab > e ? e : tab)) ?? "")
  }

  const push = (chunk: Buffer) => {
    const buf = rest ? Buffer.concat([rest, chunk]) : chunk
    let s = 0
    for (let nl = buf.indexOf(NEWLINE, s); nl >= 0; nl = buf.indexOf(NEWLINE, s)) {
      if (!skipped(buf, s, nl)) row(buf, s, nl)
      s = nl + 1
    }
    rest = s < buf.length ? buf.subarray(s) : undefined
  }

  /** The last page (COPY ends every row with a newline; anything left is a row too). */
  const end = (): Uint8Array => {
    if (rest && rest.length > 0 && !skipped(rest, 0, rest.length)) row(rest, 0, rest.length)
    rest = undefined
    page[pos++] = 0x5d
    return page.subarray(0, pos)
  }

  return { push, add, end }
}
