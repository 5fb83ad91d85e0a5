import { Effect, Either } from "effect"
import { type Column, schemaHeader } from "./messages.js"
import type { ShapeDef } from "./shapeParams.js"
import { bindWhere, type Const } from "./where/bindWhere.js"
import { parseWhere } from "./where/parseWhere.js"
import { WhereError } from "./where/WhereError.js"
import { type Predicate, wherePredicate } from "./where/wherePredicate.js"
import { whereSql } from "./where/whereSql.js"

/** A shape ready to serve: which columns, the `where` as SQL and as a predicate. */
export interface CompiledShape {
  /** The definition, canonical: handles are bound to it. */
  readonly key: string
  readonly table: string
  /** Selected columns in table order; the primary key is always among them. */
  readonly columns: ReadonlyArray<Column>
  readonly allColumns: boolean
  /** The `electric-schema` header. */
  readonly schema: string
  /**
   * The `where` as SQL with placeholders from `$2` ($1 is the workspace), and their values;
   * `copySql` reads value n from the setting `settingRef(n)` instead (COPY takes no parameters).
   */
  readonly where: { readonly sql: string; readonly copySql: string; readonly values: ReadonlyArray<string> } | undefined
  /** The same condition for a row's text values; undefined: every row. */
  readonly predicate: Predicate | undefined
}

/** Resolves constants to Postgres' canonical text for their type (one query per compile). */
export type Canonicalize = (consts: ReadonlyArray<Const>) => Effect.Effect<ReadonlyArray<string>, WhereError>

/**
 * Parameter n of a statement that cannot have parameters (COPY): a transaction-local
 * setting the reader sets with `set_config` first, read once per statement (an InitPlan).
 */
export const settingName = (n: number): string => `vibestack.shape_p${n}`
export const settingRef = (n: number): string => `(select current_setting('${settingName(n)}'))`

export const PRIMARY_KEY = ["workspace_id", "id"] as const

/** Input words whose value depends on when Postgres reads them: shapes must mean one thing. */
const MOVING = /\b(now|today|tomorrow|yesterday|current)\b/i

const sync = <A>(f: () => A): Either.Either<A, WhereError> => {
  try {
    return Either.right(f())
  } catch (e) {
    if (e instanceof WhereError) return Either.left(e)
    throw e
  }
}

export const shapeKey = (def: ShapeDef): string =>
  JSON.stringify([def.table, def.where ?? null, [...def.params].sort((a, b) => a[0] - b[0]), def.columns ?? null])

/**
 * Checks a shape definition against its table (name → column) and compiles it; every
 * refusal is a WhereError whose message the 400 carries.
 */
export const compileShape = (def: ShapeDef, tableColumns: ReadonlyArray<Column>, canonicalize: Canonicalize) =>
  Effect.gen(function* () {
    const byName = new Map(tableColumns.map((c) => [c.name, c]))
    let columns = tableColumns
    if (def.columns) {
      for (const name of def.columns)
        if (!byName.has(name))
          return yield* new WhereError({
            message: `unknown column in columns: ${name}; columns: ${[...byName.keys()].join(", ")}`,
          })
      for (const pk of PRIMARY_KEY)
        if (!def.columns.includes(pk))
          return yield* new WhereError({ message: `columns must include the primary key (${PRIMARY_KEY.join(", ")})` })
      columns = tableColumns.filter((c) => def.columns!.includes(c.name))
    }
    let where: CompiledShape["where"]
    let predicate: Predicate | undefined
    if (def.where !== undefined) {
      const bound = yield* sync(() =>
        bindWhere(parseWhere(def.where!), new Map(tableColumns.map((c) => [c.name, c.type])), def.params),
      )
      for (const c of bound.consts)
        if ((c.ty === "date" || c.ty === "timestamptz") && MOVING.test(c.raw))
          return yield* new WhereError({
            message: `${c.what} depends on the time it is read; pass a fixed ${c.ty} instead`,
          })
      const values = bound.consts.length === 0 ? [] : yield* canonicalize(bound.consts)
      where = { sql: whereSql(bound.expr, 2), copySql: whereSql(bound.expr, 2, settingRef), values }
      predicate = yield* sync(() => wherePredicate(bound.expr, values))
    }
    return {
      key: shapeKey(def),
      table: def.table,
      columns,
      allColumns: columns.length === tableColumns.length,
      schema: schemaHeader(columns),
      where,
      predicate,
    } satisfies CompiledShape
  })
