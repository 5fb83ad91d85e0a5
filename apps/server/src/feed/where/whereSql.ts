import type { ValueType } from "./ast.js"
import type { Typed } from "./bindWhere.js"

const SQL_TYPE: Record<ValueType, string> = {
  text: "text",
  bool: "bool",
  date: "date",
  timestamptz: "timestamptz",
  int: "int8",
}

export const quoteIdent = (name: string): string => `"${name.replace(/"/g, '""')}"`

/**
 * A bound `where` as SQL. Every constant becomes the placeholder `$<firstParam + slot>`
 * (or what `placeholder` makes of that number)
 * with an explicit cast, column names come from the table's catalog, operators from a
 * fixed list: no text of the request is ever part of the statement. Text ordering and
 * LIKE use COLLATE "C", which is what the in-memory predicate reproduces.
 */
export const whereSql = (
  expr: Typed,
  firstParam: number,
  placeholder: (n: number) => string = (n) => `$${n}`,
): string => {
  const go = (e: Typed): string => {
    switch (e.k) {
      case "col":
        return quoteIdent(e.name)
      case "const":
        return `${placeholder(firstParam + e.slot)}::${SQL_TYPE[e.ty]}`
      case "bool":
        return e.v ? "true" : "false"
      case "null":
        return `null::${SQL_TYPE[e.ty]}`
      case "cast":
        return `(${go(e.e)})::${SQL_TYPE[e.ty]}`
      case "cmp": {
        const ordered = e.l.ty === "text" && e.op !== "=" && e.op !== "<>"
        return `(${go(e.l)}${ordered ? ' collate "C"' : ""} ${e.op} ${go(e.r)})`
      }
      case "in":
        return `(${go(e.e)} ${e.not ? "not in" : "in"} (${e.list.map(go).join(", ")}))`
      case "like":
        return `((${go(e.e)}) collate "C" ${e.not ? "not " : ""}${e.ci ? "ilike" : "like"} ${placeholder(firstParam + e.slot)}::text)`
      case "isNull":
        return `((${go(e.e)}) is ${e.not ? "not " : ""}null)`
      case "isBool":
        return `((${go(e.e)}) is ${e.not ? "not " : ""}${e.v ? "true" : "false"})`
      case "distinct":
        return `(${go(e.l)} is ${e.not ? "not " : ""}distinct from ${go(e.r)})`
      case "and":
      case "or":
        return `(${go(e.l)} ${e.k} ${go(e.r)})`
      case "not":
        return `(not ${go(e.e)})`
    }
  }
  return go(expr)
}

export const sqlTypeOf = (ty: ValueType): string => SQL_TYPE[ty]
