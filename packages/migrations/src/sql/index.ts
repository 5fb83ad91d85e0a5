import m0001 from "./0001_byte_store.js"
import type { SqlMigration } from "./Migration.js"

export type { SqlMigration } from "./Migration.js"

/** Every server migration, in order. Append only. */
export const sqlMigrations: ReadonlyArray<SqlMigration> = [m0001]
