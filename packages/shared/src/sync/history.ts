import { decodeImportBlobMeta, type LoroDoc } from "loro-crdt"

/**
 * How much of its history a document holds (SPEC C19): nothing yet, the recent part (it was
 * built from a shallow snapshot: ops before its root are not here), or all of it.
 */
export type HistoryDepth = "empty" | "recent" | "full"

export const historyDepth = (doc: LoroDoc): HistoryDepth =>
  doc.isShallow() ? "recent" : doc.oplogVersion().length() === 0 ? "empty" : "full"

/** Loro's FastSnapshot encode mode (bytes 20..22 of an export): snapshots, shallow or not. */
const isSnapshotMode = (blob: Uint8Array): boolean => blob.length > 22 && blob[20] === 0 && blob[21] === 3

/** A shallow snapshot's bytes (read from its header only: no import). */
export const isShallowSnapshot = (blob: Uint8Array): boolean => {
  if (!isSnapshotMode(blob)) return false
  try {
    return decodeImportBlobMeta(blob, false).mode === "shallow-snapshot"
  } catch {
    return false
  }
}

/** A shallow snapshot offered to a document it cannot join: the engine fetches the full history instead. */
export class ShallowImportError extends Error {
  constructor() {
    super("a snapshot without its early history only loads into an empty document")
  }
}

/**
 * Loro imports a shallow snapshot into a document that already has ops of its own as
 * nothing at all, without an error: that would store as loaded what never was. Any such
 * blob that the document does not already hold throws `ShallowImportError`.
 */
export const refuseShallowIntoNonEmpty = (doc: LoroDoc, blobs: ReadonlyArray<Uint8Array>): void => {
  if (!blobs.some(isSnapshotMode)) return
  const have = doc.oplogVersion()
  if (have.length() === 0) return
  for (const blob of blobs) {
    if (!isShallowSnapshot(blob)) continue
    const covered = have.compare(decodeImportBlobMeta(blob, false).partialEndVersionVector)
    if (covered === undefined || covered < 0) throw new ShallowImportError()
  }
}
