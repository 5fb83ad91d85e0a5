import { LoroDoc } from "loro-crdt"
import { checkWholeDocument } from "../validate/checkWholeDocument.js"
import { withScratch } from "../validate/withScratch.js"
import type { PoolOp } from "./PoolOp.js"

export interface ValidateDocumentArgs {
  /** A full snapshot to start from (a backup's document, a stored snapshot), if any. */
  readonly snapshot?: Uint8Array | undefined
  /** Updates imported after it, in order (log entries, a revert's new ops). */
  readonly updates: ReadonlyArray<Uint8Array>
}

export type DocumentVerdict = { readonly ok: true } | { readonly ok: false; readonly reason: string }

/**
 * Proves a whole document healthy before anything of it is stored (backup import, upload,
 * fork and revert, history restore, repair): built from the bytes on a throwaway document, it
 * must import completely (no missing dependencies) and pass `checkWholeDocument`: every op of
 * its history against the workspace layout, every change's metadata, then a snapshot exports,
 * loads into a fresh document and reads in full (deep `toJSON`, and `readWorkspace`). The
 * worker's own copy (`ctx`) is not touched. A Loro panic is rethrown so the worker is
 * recycled; the caller sees a refusal.
 */
export const validateDocument: PoolOp<ValidateDocumentArgs, DocumentVerdict> = (_ctx, args) => {
  let stage = "the snapshot does not import"
  try {
    return withScratch(
      () => new LoroDoc(),
      (doc): DocumentVerdict => {
        if (args.snapshot !== undefined && incomplete(doc.import(args.snapshot)))
          return refuse("the snapshot is incomplete (it depends on operations it does not hold)")
        // A shallow snapshot: state without the ops before its root. Every device would get a
        // document that cannot merge edits made on older versions (Loro 1.17 even panics on some).
        if (doc.isShallow()) return refuse("the snapshot has no early history (a shallow snapshot); export a full one")
        for (const [i, update] of args.updates.entries()) {
          stage = `update ${i + 1} does not import`
          if (incomplete(doc.import(update)))
            return refuse(`update ${i + 1} depends on operations the document does not have`)
        }
        stage = "the document is not valid"
        checkWholeDocument(doc)
        return { ok: true }
      },
    )
  } catch (err) {
    // WebAssembly.RuntimeError: the instance is dead; the worker must report the crash.
    if (err instanceof Error && err.name === "RuntimeError") throw err
    return refuse(`${stage}: ${err instanceof Error ? err.message : String(err)}`)
  }
}

const incomplete = (status: { pending?: unknown }) => status.pending !== undefined && status.pending !== null
const refuse = (reason: string): DocumentVerdict => ({ ok: false, reason: reason.slice(0, 300) })
