/** Wire pieces of Electric's shape log: JSON arrays of change and control messages. */

const quote = (s: string) => `"${s.replace(/"/g, '""')}"`

/** Unique within a shape; shaped like Electric's `"schema"."table"/"pk1"/"pk2"`. */
export const rowKey = (table: string, ws: string, id: string): string =>
  `"public".${quote(table)}/${quote(ws)}/${quote(id)}`

const OPS: Record<string, string> = { i: "insert", u: "update", d: "delete" }

/** `value` is already JSON (an object of text values). */
export const snapshotMessage = (key: string, value: string): string =>
  `{"headers":{"operation":"insert"},"key":${JSON.stringify(key)},"value":${value}}`

export const changeMessage = (key: string, op: string, lsn: number, pos: number, value: string): string =>
  `{"headers":{"operation":"${OPS[op]}","lsn":"${lsn}","op_position":${pos}},"key":${JSON.stringify(key)},"value":${value}}`

export const UP_TO_DATE = `{"headers":{"control":"up-to-date"}}`
export const MUST_REFETCH = `[{"headers":{"control":"must-refetch"}}]`

export interface Column {
  readonly name: string
  readonly type: string
  readonly notNull: boolean
}

/** The `electric-schema` header: column types and the primary key (workspace_id, id). */
export const schemaHeader = (columns: ReadonlyArray<Column>): string =>
  JSON.stringify(
    Object.fromEntries(
      columns.map((c) => {
        const pk = c.name === "workspace_id" ? 0 : c.name === "id" ? 1 : undefined
        return [c.name, { type: c.type, ...(pk === undefined ? {} : { pk_index: pk }), not_null: c.notNull }]
      }),
    ),
  )

/**
 * SQL rendering a row as the JSON object of its columns' text output, the same text
 * pgoutput sends (bool's cast to text says `true`, its output function `t`).
 */
export const valueSql = (columns: ReadonlyArray<Column>): string =>
  `json_build_object(${columns
    .map((c) => {
      const col = `"${c.name}"`
      const expr = c.type === "bool" ? `case when ${col} then 't' when not ${col} then 'f' end` : `${col}::text`
      return `'${c.name}', ${expr}`
    })
    .join(", ")})::text`
