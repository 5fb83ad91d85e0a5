import type { ValueType } from "./ast.js"
import type { Typed } from "./bindWhere.js"
import { likeMatcher } from "./likeMatcher.js"
import { compareValues, dateToTs, parseValue, type Ts, tsToDate, type Value, valueToText } from "./pgValues.js"

/** A row as the feed stores it: column → Postgres text output, or null. */
export type Row = Readonly<Record<string, string | null | undefined>>
export type Predicate = (row: Row) => boolean

type Val = (row: Row) => Value | null
type Cond = (row: Row) => boolean | null

const CMP: Record<string, (c: number) => boolean> = {
  "=": (c) => c === 0,
  "<>": (c) => c !== 0,
  "<": (c) => c < 0,
  "<=": (c) => c <= 0,
  ">": (c) => c > 0,
  ">=": (c) => c >= 0,
}

const not3 = (v: boolean | null) => (v === null ? null : !v)

/**
 * A bound `where` as a JavaScript predicate with SQL's three-valued logic: a row is in
 * the shape only when the condition is true (not false, not null). `consts` are the
 * constants' canonical text (see compileShape.ts), parsed once here.
 */
export const wherePredicate = (expr: Typed, consts: ReadonlyArray<string>): Predicate => {
  const value = (e: Typed): Val => {
    switch (e.k) {
      case "col": {
        const { name, ty } = e
        return (row) => {
          const raw = row[name]
          return raw === null || raw === undefined ? null : parseValue(ty, raw)
        }
      }
      case "const": {
        const v = parseValue(e.ty, consts[e.slot]!)
        return () => v
      }
      case "null":
        return () => null
      case "cast": {
        const inner = value(e.e)
        const convert = castFn(e.from, e.ty)
        return (row) => {
          const v = inner(row)
          return v === null ? null : convert(v)
        }
      }
      default: {
        const c = cond(e)
        return c
      }
    }
  }

  const cond = (e: Typed): Cond => {
    switch (e.k) {
      case "bool": {
        const v = e.v
        return () => v
      }
      case "cmp": {
        const [l, r, test, ty] = [value(e.l), value(e.r), CMP[e.op]!, e.l.ty]
        return (row) => {
          const a = l(row)
          const b = a === null ? null : r(row)
          return a === null || b === null ? null : test(compareValues(ty, a, b))
        }
      }
      case "distinct": {
        const [l, r, ty, not] = [value(e.l), value(e.r), e.l.ty, e.not]
        return (row) => {
          const a = l(row)
          const b = r(row)
          const same = a === null || b === null ? a === b : compareValues(ty, a, b) === 0
          return not ? same : !same
        }
      }
      case "in": {
        const [v, items, ty, not] = [value(e.e), e.list.map(value), e.e.ty, e.not]
        return (row) => {
          const a = v(row)
          if (a === null) return null
          let sawNull = false
          for (const item of items) {
            const b = item(row)
            if (b === null) sawNull = true
            else if (compareValues(ty, a, b) === 0) return !not
          }
          return sawNull ? null : not
        }
      }
      case "like": {
        const [v, match, not] = [value(e.e), likeMatcher(consts[e.slot]!, e.ci), e.not]
        return (row) => {
          const a = v(row)
          return a === null ? null : match(a as string) !== not
        }
      }
      case "isNull": {
        const [v, not] = [value(e.e), e.not]
        return (row) => (v(row) === null) !== not
      }
      case "isBool": {
        const [v, want, not] = [value(e.e), e.v, e.not]
        return (row) => (v(row) === want) !== not
      }
      case "and": {
        const [l, r] = [cond(e.l), cond(e.r)]
        return (row) => {
          const a = l(row)
          if (a === false) return false
          const b = r(row)
          return b === false ? false : a === null || b === null ? null : true
        }
      }
      case "or": {
        const [l, r] = [cond(e.l), cond(e.r)]
        return (row) => {
          const a = l(row)
          if (a === true) return true
          const b = r(row)
          return b === true ? true : a === null || b === null ? null : false
        }
      }
      case "not": {
        const c = cond(e.e)
        return (row) => not3(c(row))
      }
      default: {
        // A boolean-typed value used as a condition: a bool column, constant or cast.
        const v = value(e)
        return (row) => v(row) as boolean | null
      }
    }
  }

  const top = cond(expr)
  return (row) => top(row) === true
}

const castFn = (from: ValueType, to: ValueType): ((v: Value) => Value) => {
  if (to === "text") return (v) => valueToText(from, v)
  if (from === "date" && to === "timestamptz") return (v) => dateToTs(v as number)
  if (from === "timestamptz" && to === "date") return (v) => tsToDate(v as Ts)
  return (v) => v
}
