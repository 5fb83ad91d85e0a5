import { DOC_LAYOUT_VERSION, metaMap, readSchemaVersion, SCHEMA_VERSION_KEY } from "@vibestack/schema"
import type { LoroDoc } from "loro-crdt"
import type { DocMigration } from "./DocMigration.js"
import { v2TaskStatus } from "./v2TaskStatus.js"

/** Every document migration, in order (`to` = 2, 3, …). Append only. */
export const docMigrations: ReadonlyArray<DocMigration> = [v2TaskStatus]

/** The document layout version this build reads and writes (the schema package's layout). */
export const CURRENT_DOC_VERSION: number = DOC_LAYOUT_VERSION

export type DocVersionStatus = "ok" | "needs-migration" | "too-new"

export const docVersionStatus = (doc: LoroDoc): DocVersionStatus => {
  const v = readSchemaVersion(doc)
  return v > CURRENT_DOC_VERSION ? "too-new" : v < CURRENT_DOC_VERSION ? "needs-migration" : "ok"
}

/** What the UI shows when it opens a document from a newer app version read-only. */
export const tooNewMessage = (docVersion: number): string =>
  `This workspace was saved by a newer version of VibeStack (document version ${docVersion}; ` +
  `this app understands up to ${CURRENT_DOC_VERSION}). It is open read-only so nothing gets damaged: ` +
  "reload the page or update the app to edit it."

export type MigrateResult =
  | { readonly _tag: "Migrated"; readonly from: number; readonly to: number; readonly applied: ReadonlyArray<string> }
  | { readonly _tag: "UpToDate"; readonly version: number }
  | { readonly _tag: "TooNew"; readonly version: number; readonly message: string }

/**
 * Runs every pending migration, then sets `meta.schemaVersion`, in one commit. Call it before
 * the UI reads the document (and again after importing remote data from older devices is not
 * needed: readers handle v1 writes). A too-new document is left untouched: open it read-only.
 *
 * If two devices concurrently raise the version to different numbers, the map's last writer
 * may keep the lower one; the newer device then sees `needs-migration` on its next open and its
 * idempotent migrations raise it again.
 */
export const migrateDoc = (doc: LoroDoc): MigrateResult => {
  const from = readSchemaVersion(doc)
  if (from > CURRENT_DOC_VERSION) return { _tag: "TooNew", version: from, message: tooNewMessage(from) }
  const meta = metaMap(doc)
  const pending = docMigrations.filter((m) => m.to > from)
  if (pending.length === 0 && meta.get(SCHEMA_VERSION_KEY) === CURRENT_DOC_VERSION) {
    return { _tag: "UpToDate", version: from }
  }
  for (const m of pending) {
    m.run(doc)
    meta.set(SCHEMA_VERSION_KEY, m.to)
  }
  // A brand-new or v1 document without migrations pending still records its version.
  if (meta.get(SCHEMA_VERSION_KEY) !== CURRENT_DOC_VERSION) meta.set(SCHEMA_VERSION_KEY, CURRENT_DOC_VERSION)
  doc.commit({ message: `migrate doc v${from} -> v${CURRENT_DOC_VERSION}` })
  return { _tag: "Migrated", from, to: CURRENT_DOC_VERSION, applied: pending.map((m) => `v${m.to}_${m.name}`) }
}
