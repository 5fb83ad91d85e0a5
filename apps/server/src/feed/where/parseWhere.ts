import { type CmpOp, type Expr, TYPE_NAMES, type TypeName } from "./ast.js"
import { type Token, tokenize } from "./lexer.js"
import { fail } from "./WhereError.js"

export const MAX_WHERE_CHARS = 4096
const MAX_DEPTH = 48
const MAX_LIST = 1000

/** Words that start constructs outside the grammar: named so the 400 says what was refused. */
const REFUSED: Record<string, string> = {
  select: "subqueries",
  exists: "subqueries",
  any: "ANY/ALL/SOME",
  all: "ANY/ALL/SOME",
  some: "ANY/ALL/SOME",
  array: "arrays",
  case: "CASE expressions",
  similar: "SIMILAR TO",
  union: "set operations",
  from: "FROM",
  collate: "COLLATE",
  at: "AT TIME ZONE",
  overlaps: "OVERLAPS",
  isnull: "ISNULL (write IS NULL)",
  notnull: "NOTNULL (write IS NOT NULL)",
  current_date: "CURRENT_DATE (pass the date as a parameter)",
  current_timestamp: "CURRENT_TIMESTAMP (pass the time as a parameter)",
  localtimestamp: "LOCALTIMESTAMP (pass the time as a parameter)",
  current_user: "CURRENT_USER",
  session_user: "SESSION_USER",
  interval: "intervals",
  row: "row constructors",
}
/** Grammar words that cannot name a column where an operand is expected (quote such a column). */
const KEYWORDS = new Set(["and", "or", "not", "in", "is", "like", "ilike", "between", "as", "distinct", "escape"])
const CMP_OPS = new Set(["=", "<>", "<", "<=", ">", ">="])

/**
 * Recursive descent over Postgres' precedence (low to high): OR, AND, NOT, IS, comparison,
 * IN/LIKE/ILIKE/BETWEEN, `::`. Comparisons do not chain, as in Postgres. Throws WhereError.
 */
const refuse = (word: string, at: number) => {
  const what = REFUSED[word]
  if (what) fail(`${what} ${what.endsWith("s") ? "are" : "is"} not supported in where (at ${at})`)
}

export const parseWhere = (src: string): Expr => {
  if (src.length > MAX_WHERE_CHARS) fail(`where is longer than ${MAX_WHERE_CHARS} characters`)
  if (src.trim() === "") fail("where is empty")
  const toks = tokenize(src)
  let i = 0
  let depth = 0
  const peek = (): Token => toks[i]!
  const next = (): Token => toks[i++]!
  const isWord = (w: string, t: Token = peek()) => t.t === "ident" && !t.quoted && t.v === w
  const isOp = (o: string, t: Token = peek()) => t.t === "op" && t.v === o
  const eatWord = (w: string) => {
    if (!isWord(w)) return false
    i++
    return true
  }
  const expectOp = (o: string, what: string) => {
    if (!isOp(o)) fail(`expected '${o}' ${what} (at ${peek().at})`)
    i++
  }
  const describe = (t: Token) =>
    t.t === "end"
      ? "end of where"
      : t.t === "op"
        ? `'${t.v}'`
        : t.t === "string"
          ? "a string"
          : `'${"v" in t ? t.v : `$${t.n}`}'`
  const nested = <A>(f: () => A): A => {
    if (++depth > MAX_DEPTH) fail(`where is nested deeper than ${MAX_DEPTH} levels`)
    const r = f()
    depth--
    return r
  }

  const or = (): Expr =>
    nested(() => {
      let l = and()
      while (eatWord("or")) l = { k: "or", l, r: and() }
      return l
    })
  const and = (): Expr => {
    let l = not()
    while (eatWord("and")) l = { k: "and", l, r: not() }
    return l
  }
  const not = (): Expr => {
    const at = peek().at
    return eatWord("not") ? nested(() => ({ k: "not", e: not(), at })) : is()
  }
  const is = (): Expr => {
    let e = cmp()
    while (isWord("is")) {
      const at = next().at
      const negated = eatWord("not")
      if (eatWord("null")) e = { k: "isNull", e, not: negated }
      else if (eatWord("true")) e = { k: "isBool", e, v: true, not: negated, at }
      else if (eatWord("false")) e = { k: "isBool", e, v: false, not: negated, at }
      else if (eatWord("distinct")) {
        if (!eatWord("from")) fail(`expected FROM after IS ${negated ? "NOT " : ""}DISTINCT (at ${peek().at})`)
        e = { k: "distinct", l: e, r: cmp(), not: negated, at }
      } else fail(`expected NULL, TRUE, FALSE or DISTINCT FROM after IS (at ${peek().at})`)
    }
    return e
  }
  const cmp = (): Expr => {
    const l = pred()
    const t = peek()
    if (t.t !== "op" || !CMP_OPS.has(t.v)) return l
    i++
    const r = pred()
    const again = peek()
    if (again.t === "op" && CMP_OPS.has(again.v)) fail(`comparisons do not chain; use AND (at ${again.at})`)
    return { k: "cmp", op: t.v as CmpOp, l, r, at: t.at }
  }
  const pred = (): Expr => {
    const e = cast()
    const at = peek().at
    const negated = isWord("not") && ["in", "like", "ilike", "between"].some((w) => isWord(w, toks[i + 1]!))
    if (negated) i++
    if (eatWord("in")) {
      expectOp("(", "after IN")
      if (isWord("select")) fail(`subqueries are not supported in where (at ${peek().at})`)
      const list = [cast()]
      while (isOp(",")) {
        i++
        list.push(cast())
        if (list.length > MAX_LIST) fail(`IN lists may hold at most ${MAX_LIST} values`)
      }
      expectOp(")", "to close the IN list")
      return { k: "in", e, list, not: negated, at }
    }
    if (isWord("like") || isWord("ilike")) {
      const ci = (next() as { v: string }).v === "ilike"
      const pattern = cast()
      if (isWord("escape")) fail(`LIKE … ESCAPE is not supported; the escape character is \\ (at ${peek().at})`)
      return { k: "like", e, pattern, ci, not: negated, at }
    }
    if (eatWord("between")) {
      if (isWord("symmetric")) fail(`BETWEEN SYMMETRIC is not supported (at ${peek().at})`)
      const lo = cast()
      if (!eatWord("and")) fail(`expected AND in BETWEEN (at ${peek().at})`)
      return { k: "between", e, lo, hi: cast(), not: negated, at }
    }
    return e
  }
  const cast = (): Expr => {
    let e = primary()
    while (isOp("::")) {
      const at = next().at
      e = { k: "cast", e, to: typeName(), at }
    }
    return e
  }
  const typeName = (): TypeName => {
    const t = next()
    if (t.t !== "ident" || t.quoted) fail(`expected a type name (at ${t.at})`)
    const word = (t as { v: string }).v
    if (word === "timestamp" && eatWord("with") && eatWord("time") && eatWord("zone")) return "timestamptz"
    const ty = TYPE_NAMES[word]
    if (!ty) fail(`casts to ${word} are not supported; types: ${Object.keys(TYPE_NAMES).join(", ")} (at ${t.at})`)
    if (isOp("(")) fail(`type modifiers are not supported (at ${peek().at})`)
    return ty!
  }
  const primary = (): Expr => {
    const t = next()
    switch (t.t) {
      case "string":
        return { k: "str", v: t.v }
      case "int":
        return { k: "int", v: t.v }
      case "param":
        return { k: "param", n: t.n, at: t.at }
      case "op":
        if (t.v === "(") {
          if (isWord("select")) fail(`subqueries are not supported in where (at ${peek().at})`)
          const e = or()
          expectOp(")", "to close '('")
          return e
        }
        return fail(`unexpected ${describe(t)} (at ${t.at})`)
      case "end":
        return fail("where ends too early")
      case "ident": {
        if (t.quoted) return column(t.v, t.at)
        if (t.v === "true" || t.v === "false") return { k: "bool", v: t.v === "true" }
        if (t.v === "null") return { k: "null" }
        if (t.v === "cast" && isOp("(")) {
          i++
          const e = or()
          if (!eatWord("as")) fail(`expected AS in CAST (at ${peek().at})`)
          const to = typeName()
          expectOp(")", "to close CAST")
          return { k: "cast", e, to, at: t.at }
        }
        refuse(t.v, t.at)
        // A typed literal: date '2024-01-01', timestamptz '…', text '…'.
        if (peek().t === "string" && (TYPE_NAMES[t.v] || t.v === "timestamp"))
          return { k: "cast", e: { k: "str", v: (next() as { v: string }).v }, to: literalType(t.v, t.at), at: t.at }
        if (KEYWORDS.has(t.v)) fail(`unexpected ${t.v.toUpperCase()} (at ${t.at})`)
        return column(t.v, t.at)
      }
    }
  }
  const literalType = (word: string, at: number): TypeName => {
    const ty = TYPE_NAMES[word]
    if (!ty) fail(`timestamp without time zone is not supported; use timestamptz (at ${at})`)
    return ty!
  }
  const column = (name: string, at: number): Expr => {
    if (isOp("(")) fail(`functions are not supported in where: ${name}() (at ${at})`)
    return { k: "col", name, at }
  }

  const e = or()
  const rest = peek()
  if (rest.t === "ident" && !rest.quoted) refuse(rest.v, rest.at)
  if (rest.t !== "end") fail(`unexpected ${describe(rest)} (at ${rest.at})`)
  return e
}
