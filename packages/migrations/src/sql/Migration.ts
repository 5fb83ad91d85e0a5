/**
 * A server SQL migration. Files are named `NNNN_name.ts`, listed in `sql/index.ts`,
 * and never edited once landed: a change is a new, higher-numbered migration.
 */
export interface SqlMigration {
  readonly id: number
  readonly name: string
  /** One or more statements, run in one transaction. */
  readonly sql: string
}
