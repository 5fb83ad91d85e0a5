/** The parsed `where`, before columns and types are resolved (see bindWhere.ts). */
export type Expr =
  | { readonly k: "col"; readonly name: string; readonly at: number }
  | { readonly k: "str"; readonly v: string }
  | { readonly k: "int"; readonly v: string }
  | { readonly k: "bool"; readonly v: boolean }
  | { readonly k: "null" }
  | { readonly k: "param"; readonly n: number; readonly at: number }
  | { readonly k: "cast"; readonly e: Expr; readonly to: TypeName; readonly at: number }
  | { readonly k: "cmp"; readonly op: CmpOp; readonly l: Expr; readonly r: Expr; readonly at: number }
  | {
      readonly k: "in"
      readonly e: Expr
      readonly list: ReadonlyArray<Expr>
      readonly not: boolean
      readonly at: number
    }
  | {
      readonly k: "like"
      readonly e: Expr
      readonly pattern: Expr
      readonly ci: boolean
      readonly not: boolean
      readonly at: number
    }
  | {
      readonly k: "between"
      readonly e: Expr
      readonly lo: Expr
      readonly hi: Expr
      readonly not: boolean
      readonly at: number
    }
  | { readonly k: "isNull"; readonly e: Expr; readonly not: boolean }
  | { readonly k: "isBool"; readonly e: Expr; readonly v: boolean; readonly not: boolean; readonly at: number }
  | { readonly k: "distinct"; readonly l: Expr; readonly r: Expr; readonly not: boolean; readonly at: number }
  | { readonly k: "and" | "or"; readonly l: Expr; readonly r: Expr }
  | { readonly k: "not"; readonly e: Expr; readonly at: number }

export type CmpOp = "=" | "<>" | "<" | "<=" | ">" | ">="

/** The value types a `where` can compare; `int` covers int2/int4/int8. */
export type ValueType = "text" | "bool" | "date" | "timestamptz" | "int"

export type TypeName = ValueType

/** Type names accepted in casts and typed literals (`date '2024-01-01'`), as Postgres spells them. */
export const TYPE_NAMES: Record<string, ValueType> = {
  text: "text",
  varchar: "text",
  bool: "bool",
  boolean: "bool",
  date: "date",
  timestamptz: "timestamptz",
  int: "int",
  integer: "int",
  int2: "int",
  int4: "int",
  int8: "int",
  smallint: "int",
  bigint: "int",
}

/** Column types (information_schema `udt_name`) a `where` can use, and what they compare as. */
export const COLUMN_TYPES: Record<string, ValueType> = {
  text: "text",
  varchar: "text",
  bool: "bool",
  date: "date",
  timestamptz: "timestamptz",
  int2: "int",
  int4: "int",
  int8: "int",
}
