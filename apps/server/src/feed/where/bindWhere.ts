import { type CmpOp, COLUMN_TYPES, type Expr, type ValueType } from "./ast.js"
import { likeMatcher } from "./likeMatcher.js"
import { fail } from "./WhereError.js"

/** A `where` with columns and types resolved; constants are slots of `BoundWhere.consts`. */
export type Typed =
  | { readonly k: "col"; readonly name: string; readonly ty: ValueType }
  | { readonly k: "const"; readonly slot: number; readonly ty: ValueType }
  | { readonly k: "bool"; readonly v: boolean; readonly ty: "bool" }
  | { readonly k: "null"; readonly ty: ValueType }
  | { readonly k: "cast"; readonly e: Typed; readonly from: ValueType; readonly ty: ValueType }
  | { readonly k: "cmp"; readonly op: CmpOp; readonly l: Typed; readonly r: Typed; readonly ty: "bool" }
  | {
      readonly k: "in"
      readonly e: Typed
      readonly list: ReadonlyArray<Typed>
      readonly not: boolean
      readonly ty: "bool"
    }
  | {
      readonly k: "like"
      readonly e: Typed
      readonly slot: number
      readonly ci: boolean
      readonly not: boolean
      readonly ty: "bool"
    }
  | { readonly k: "isNull"; readonly e: Typed; readonly not: boolean; readonly ty: "bool" }
  | { readonly k: "isBool"; readonly e: Typed; readonly v: boolean; readonly not: boolean; readonly ty: "bool" }
  | { readonly k: "distinct"; readonly l: Typed; readonly r: Typed; readonly not: boolean; readonly ty: "bool" }
  | { readonly k: "and" | "or"; readonly l: Typed; readonly r: Typed; readonly ty: "bool" }
  | { readonly k: "not"; readonly e: Typed; readonly ty: "bool" }

/** A literal or parameter: its text as given, and the type Postgres must read it as. */
export interface Const {
  readonly raw: string
  readonly ty: ValueType
  /** For messages: `'…'` or `$n`. */
  readonly what: string
}

export interface BoundWhere {
  readonly expr: Typed
  readonly consts: ReadonlyArray<Const>
  /** Columns the where reads. */
  readonly columns: ReadonlyArray<string>
}

/** Casts between typed values the evaluator reproduces exactly; constants cast to anything. */
const CASTS = new Set([
  "bool>text",
  "date>text",
  "timestamptz>text",
  "int>text",
  "date>timestamptz",
  "timestamptz>date",
])

/**
 * Resolves a parsed `where` against a table's columns (name → udt_name) and the shape's
 * positional params, the way Postgres types it: an untyped literal or parameter takes
 * the type of what it is compared with (text when both sides are untyped), a different
 * type on each side is refused (cast one side), conditions must be boolean.
 */
export const bindWhere = (
  expr: Expr,
  columns: ReadonlyMap<string, string>,
  params: ReadonlyMap<number, string>,
): BoundWhere => {
  const consts: Array<Const> = []
  const used = new Set<string>()

  const colType = (name: string, at: number): ValueType => {
    const udt = columns.get(name)
    if (udt === undefined)
      fail(`unknown column in where: ${name} (at ${at}); columns: ${[...columns.keys()].join(", ")}`)
    const ty = COLUMN_TYPES[udt!]
    if (!ty) fail(`column ${name} has type ${udt}, which where cannot compare (at ${at})`)
    return ty!
  }
  const param = (n: number, at: number): string => {
    const v = params.get(n)
    if (v === undefined) fail(`parameter $${n} has no value: pass params[${n}] (at ${at})`)
    return v!
  }
  /** The type an expression has on its own; "unknown" for untyped literals, params and NULL. */
  const infer = (e: Expr): ValueType | "unknown" => {
    switch (e.k) {
      case "col":
        return colType(e.name, e.at)
      case "str":
      case "param":
      case "null":
        return "unknown"
      case "int":
        return "int"
      case "bool":
        return "bool"
      case "cast":
        return e.to
      default:
        return "bool"
    }
  }
  const unify = (es: ReadonlyArray<Expr>, at: number): ValueType => {
    let ty: ValueType | undefined
    for (const e of es) {
      const t = infer(e)
      if (t === "unknown") continue
      if (ty && t !== ty) fail(`cannot compare ${ty} with ${t} (at ${at}); cast one side`)
      ty = t
    }
    return ty ?? "text"
  }
  const constant = (raw: string, ty: ValueType, what: string): Typed => {
    consts.push({ raw, ty, what })
    return { k: "const", slot: consts.length - 1, ty }
  }
  const expect = (t: Typed, want: ValueType, context: string): Typed => {
    if (t.ty !== want) fail(`${context} must be ${want}, not ${t.ty}`)
    return t
  }

  const bind = (e: Expr, want: ValueType | undefined): Typed => {
    switch (e.k) {
      case "col": {
        used.add(e.name)
        const ty = colType(e.name, e.at)
        return want
          ? expect({ k: "col", name: e.name, ty }, want, `column ${e.name} (at ${e.at})`)
          : { k: "col", name: e.name, ty }
      }
      case "str":
        return constant(e.v, want ?? "text", `'${e.v}'`)
      case "param":
        return constant(param(e.n, e.at), want ?? "text", `$${e.n}`)
      case "null":
        return { k: "null", ty: want ?? "text" }
      case "int":
        return want && want !== "int" ? fail(`cannot use the number ${e.v} as ${want}`) : constant(e.v, "int", e.v)
      case "bool":
        return want && want !== "bool" ? fail(`cannot use ${e.v} as ${want}`) : { k: "bool", v: e.v, ty: "bool" }
      case "cast": {
        const from = infer(e.e)
        if (want && want !== e.to) fail(`a ${e.to} value cannot be used as ${want} (at ${e.at}); cast it`)
        if (from === "unknown" || from === e.to) return bind(e.e, e.to)
        if (!CASTS.has(`${from}>${e.to}`)) fail(`cannot cast ${from} to ${e.to} in where (at ${e.at})`)
        return { k: "cast", e: bind(e.e, from), from, ty: e.to }
      }
      default:
        if (want && want !== "bool") fail(`a condition cannot be used as ${want}`)
        return condition(e)
    }
  }

  const condition = (e: Expr): Typed => {
    switch (e.k) {
      case "cmp": {
        const ty = unify([e.l, e.r], e.at)
        return { k: "cmp", op: e.op, l: bind(e.l, ty), r: bind(e.r, ty), ty: "bool" }
      }
      case "distinct": {
        const ty = unify([e.l, e.r], e.at)
        return { k: "distinct", l: bind(e.l, ty), r: bind(e.r, ty), not: e.not, ty: "bool" }
      }
      case "in": {
        const ty = unify([e.e, ...e.list], e.at)
        return { k: "in", e: bind(e.e, ty), list: e.list.map((x) => bind(x, ty)), not: e.not, ty: "bool" }
      }
      case "between": {
        const ty = unify([e.e, e.lo, e.hi], e.at)
        const v = bind(e.e, ty)
        const within: Typed = {
          k: "and",
          l: { k: "cmp", op: ">=", l: v, r: bind(e.lo, ty), ty: "bool" },
          r: { k: "cmp", op: "<=", l: v, r: bind(e.hi, ty), ty: "bool" },
          ty: "bool",
        }
        return e.not ? { k: "not", e: within, ty: "bool" } : within
      }
      case "like": {
        const t = infer(e.e)
        if (t !== "text" && t !== "unknown") fail(`LIKE needs text, not ${t} (at ${e.at}); cast with ::text`)
        const value = bind(e.e, "text")
        const p = e.pattern.k === "cast" && e.pattern.to === "text" ? e.pattern.e : e.pattern
        if (p.k !== "str" && p.k !== "param")
          fail(`a LIKE pattern must be a string literal or a parameter (at ${e.at})`)
        const raw = p.k === "str" ? p.v : param(p.n, p.at)
        likeMatcher(raw, e.ci) // refuses a malformed pattern now rather than in Postgres later
        consts.push({ raw, ty: "text", what: p.k === "str" ? `'${p.v}'` : `$${p.n}` })
        return { k: "like", e: value, slot: consts.length - 1, ci: e.ci, not: e.not, ty: "bool" }
      }
      case "isNull":
        return { k: "isNull", e: bind(e.e, infer(e.e) === "unknown" ? "text" : undefined), not: e.not, ty: "bool" }
      case "isBool":
        return { k: "isBool", e: bind(e.e, "bool"), v: e.v, not: e.not, ty: "bool" }
      case "and":
      case "or":
        return { k: e.k, l: bind(e.l, "bool"), r: bind(e.r, "bool"), ty: "bool" }
      case "not":
        return { k: "not", e: bind(e.e, "bool"), ty: "bool" }
      default:
        return fail("internal: not a condition")
    }
  }

  const top = bind(expr, "bool")
  return { expr: top, consts, columns: [...used] }
}
