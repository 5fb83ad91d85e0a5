import { Schema } from "effect"
import { ErrorKind } from "../protocol/errors.js"
import type { FatalError } from "./LocalStore.js"

const isKind = Schema.is(ErrorKind)

/**
 * Reads `WorkspaceMeta.fatal` as any version stored it: `{ kind, message }` now, the string
 * `"Kind: message"` before. Stores run it on read (and Dexie in its upgrade) so old metas
 * keep their reason.
 */
export const normalizeFatal = (stored: unknown): FatalError | undefined => {
  if (stored === undefined || stored === null) return undefined
  if (typeof stored === "object") {
    const { kind, message } = stored as { kind?: unknown; message?: unknown }
    if (typeof kind === "string" && isKind(kind)) return { kind, message: typeof message === "string" ? message : "" }
    return { kind: "Internal", message: JSON.stringify(stored) }
  }
  const text = String(stored)
  const at = text.indexOf(":")
  const kind = at > 0 ? text.slice(0, at) : ""
  return isKind(kind) ? { kind, message: text.slice(at + 1).trim() } : { kind: "Internal", message: text }
}
