import { LoroDoc } from "loro-crdt"
import type { PoolOp } from "./PoolOp.js"

export interface ValidateDocumentArgs {
  /** A full snapshot to start from (a backup's document, a stored snapshot), if any. */
  readonly snapshot?: Uint8Array | undefined
  /** Updates imported after it, in order (log entries, a revert's new ops). */
  readonly updates: ReadonlyArray<Uint8Array>
}

export type DocumentVerdict = { readonly ok: true } | { readonly ok: false; readonly reason: string }

/**
 * Proves a whole document healthy before anything of it is stored: built from the bytes on a
 * throwaway document, it must import completely (no missing dependencies), export a snapshot,
 * and that snapshot must load into a fresh document that reads in full (deep `toJSON`).
 * The last step is what catches a poisoning update (#13): it imports and reads fine, a
 * snapshot exports, but a fresh load of that snapshot panics on a child container.
 *
 * Interim version for backup import/restore and history restore, to be replaced by the
 * validation helper's `checkWholeDocument` (which adds the layout check) under this name and
 * signature. A Loro panic is rethrown so the worker is recycled; the caller sees a refusal.
 */
export const validateDocument: PoolOp<ValidateDocumentArgs, DocumentVerdict> = (_ctx, args) => {
  const doc = new LoroDoc()
  let stage = "the snapshot does not import"
  try {
    if (args.snapshot !== undefined && incomplete(doc.import(args.snapshot)))
      return refuse("the snapshot is incomplete (it depends on operations it does not hold)")
    for (const [i, update] of args.updates.entries()) {
      stage = `update ${i + 1} does not import`
      if (incomplete(doc.import(update)))
        return refuse(`update ${i + 1} depends on operations the document does not have`)
    }
    stage = "a snapshot does not export"
    const snapshot = doc.export({ mode: "snapshot" })
    stage = "its snapshot does not load in full"
    const fresh = LoroDoc.fromSnapshot(snapshot)
    try {
      fresh.toJSON()
      if (fresh.oplogVersion().compare(doc.oplogVersion()) !== 0)
        return refuse("its snapshot does not reproduce the document's version")
    } finally {
      freeQuietly(fresh)
    }
    return { ok: true }
  } catch (err) {
    // WebAssembly.RuntimeError: the instance is dead; the worker must report the crash.
    if (err instanceof Error && err.name === "RuntimeError") throw err
    return refuse(`${stage}: ${err instanceof Error ? err.message : String(err)}`)
  } finally {
    freeQuietly(doc)
  }
}

/** After a panic the instance may not free, and that error must not hide the panic. */
const freeQuietly = (doc: LoroDoc) => {
  try {
    doc.free()
  } catch {
    // The worker is recycled anyway.
  }
}

const incomplete = (status: { pending?: unknown }) => status.pending !== undefined && status.pending !== null
const refuse = (reason: string): DocumentVerdict => ({ ok: false, reason: reason.slice(0, 300) })
