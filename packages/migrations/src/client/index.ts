export type { DocMigration } from "./DocMigration.js"
export {
  CURRENT_DOC_VERSION,
  type DocVersionStatus,
  docMigrations,
  docVersionStatus,
  type MigrateResult,
  migrateDoc,
  tooNewMessage,
} from "./migrateDoc.js"
export { v2TaskStatus } from "./v2TaskStatus.js"
