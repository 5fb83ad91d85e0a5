import { docVersionStatus, migrateDoc, tooNewMessage } from "@vibestack/migrations"
import { readSchemaVersion } from "@vibestack/schema"
import type { LoroDoc } from "loro-crdt"

export type DocGate =
  | { readonly _tag: "Writable" }
  /** Saved by a newer app: shown read-only with `message` so this build damages nothing. */
  | { readonly _tag: "TooNew"; readonly message: string }

/**
 * Runs before the UI reads the document, and again after every import (a newer or older
 * device's data may arrive from the server later). An empty document is left alone: a
 * device that just joined would otherwise stamp a version before the real data arrives.
 * Viewers never migrate (they cannot write); readers handle older layouts anyway.
 */
export const gateDoc = (doc: LoroDoc, options: { readonly canWrite: boolean }): DocGate => {
  const status = docVersionStatus(doc)
  if (status === "too-new") return { _tag: "TooNew", message: tooNewMessage(readSchemaVersion(doc)) }
  if (status === "needs-migration" && options.canWrite && doc.oplogVersion().length() > 0) {
    const r = migrateDoc(doc)
    if (r._tag === "TooNew") return { _tag: "TooNew", message: r.message }
  }
  return { _tag: "Writable" }
}
