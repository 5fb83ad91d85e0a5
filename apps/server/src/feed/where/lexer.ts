import { fail } from "./WhereError.js"

export type Token =
  | { readonly t: "ident"; readonly v: string; readonly quoted: boolean; readonly at: number }
  | { readonly t: "string"; readonly v: string; readonly at: number }
  | { readonly t: "int"; readonly v: string; readonly at: number }
  | { readonly t: "param"; readonly n: number; readonly at: number }
  | { readonly t: "op"; readonly v: string; readonly at: number }
  | { readonly t: "end"; readonly at: number }

const OPS = ["::", "<=", ">=", "<>", "!=", "=", "<", ">", "(", ")", ","]
const IDENT_START = /[A-Za-z_\u0080-\uFFFF]/
const IDENT_PART = /[A-Za-z0-9_$\u0080-\uFFFF]/

/**
 * Splits a `where` into tokens. Only what the grammar uses is recognised: anything else
 * (`;`, comments, `||`, dollar quotes, `E''` strings, arithmetic) is refused here with
 * the position it starts at, so nothing outside the grammar ever reaches the parser.
 */
export const tokenize = (src: string): Array<Token> => {
  const out: Array<Token> = []
  let i = 0
  while (i < src.length) {
    const c = src[i]!
    if (/\s/.test(c)) {
      i++
      continue
    }
    const at = i + 1
    if (c === "-" && src[i + 1] === "-") fail(`comments are not allowed in where (at ${at})`)
    if (c === "/" && src[i + 1] === "*") fail(`comments are not allowed in where (at ${at})`)
    if (c === "'") {
      const [v, next] = quoted(src, i, "'")
      out.push({ t: "string", v, at })
      i = next
      continue
    }
    if (c === '"') {
      const [v, next] = quoted(src, i, '"')
      if (v === "") fail(`empty quoted identifier in where (at ${at})`)
      out.push({ t: "ident", v, quoted: true, at })
      i = next
      continue
    }
    if (c === "$") {
      const m = /^\$([1-9][0-9]{0,3})(?![0-9A-Za-z_$])/.exec(src.slice(i))
      if (!m) fail(`'$' must start a positional parameter like $1 (at ${at})`)
      out.push({ t: "param", n: Number(m![1]), at })
      i += m![0].length
      continue
    }
    if (/[0-9]/.test(c) || (c === "." && /[0-9]/.test(src[i + 1] ?? ""))) {
      const m = /^[0-9]+(\.[0-9]*)?([eE][+-]?[0-9]+)?/.exec(src.slice(i))!
      if (m[1] !== undefined || m[2] !== undefined || c === ".")
        fail(`only integer numbers are supported in where (at ${at})`)
      if (IDENT_PART.test(src[i + m[0].length] ?? "")) fail(`malformed number in where (at ${at})`)
      out.push({ t: "int", v: m[0], at })
      i += m[0].length
      continue
    }
    if (IDENT_START.test(c)) {
      let j = i + 1
      while (j < src.length && IDENT_PART.test(src[j]!)) j++
      const word = src.slice(i, j)
      // E'…', U&'…', B'…', X'…': escape and bit strings are outside the grammar.
      if (src[j] === "'" || (src[j] === "&" && src[j + 1] === "'"))
        fail(`only plain '…' string literals are supported in where (at ${at})`)
      out.push({ t: "ident", v: word.toLowerCase(), quoted: false, at })
      i = j
      continue
    }
    const op = OPS.find((o) => src.startsWith(o, i))
    if (!op) fail(`unexpected '${c}' in where (at ${at}); see docs/FEED.md for the grammar`)
    out.push({ t: "op", v: op === "!=" ? "<>" : op!, at })
    i += op!.length
  }
  out.push({ t: "end", at: src.length + 1 })
  return out
}

/** A quoted string or identifier; the quote character doubled stands for itself. */
const quoted = (src: string, start: number, q: string): [string, number] => {
  let v = ""
  let i = start + 1
  for (;;) {
    const j = src.indexOf(q, i)
    if (j < 0) fail(`unterminated ${q === "'" ? "string" : "quoted identifier"} in where (at ${start + 1})`)
    v += src.slice(i, j)
    if (src[j + 1] === q) {
      v += q
      i = j + 2
    } else return [v, j + 1]
  }
}
