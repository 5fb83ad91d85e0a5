import { readSchemaVersion } from "@vibestack/schema"
import { decodeImportBlobMeta, LoroDoc, type VersionVector } from "loro-crdt"
import { checkWholeDocument } from "../validate/checkWholeDocument.js"
import { withScratch } from "../validate/withScratch.js"
import type { PoolOp } from "./PoolOp.js"

export interface SnapshotInfo {
  readonly schemaVersion: number
  /** Peer id (decimal string) → next counter. */
  readonly versionVector: Record<string, number>
  readonly changeCount: number
}

/**
 * Loads a snapshot (from a backup: our own, or an uploaded file) into a scratch document
 * and reports what it holds. With `verify`, the document must also pass the full check
 * (`checkWholeDocument`: layout, change metadata, snapshot round trip, deep read), which is
 * how an uploaded file proves it is safe to store. The scratch
 * document is thrown away; the worker's own copy (`ctx`) is not touched.
 */
export const inspectSnapshot: PoolOp<{ readonly snapshot: Uint8Array; readonly verify: boolean }, SnapshotInfo> = (
  _ctx,
  args,
) => {
  const mode = decodeImportBlobMeta(args.snapshot, true).mode
  if (mode !== "snapshot") throw new Error(`expected a full Loro snapshot, got ${mode}`)
  return withScratch(
    () => new LoroDoc(),
    (scratch) => {
      const status = scratch.import(args.snapshot)
      if (status.pending !== undefined && status.pending !== null) throw new Error("the snapshot is incomplete")
      if (args.verify) checkWholeDocument(scratch)
      return {
        schemaVersion: readSchemaVersion(scratch),
        versionVector: vvRecord(scratch.oplogVersion()),
        changeCount: scratch.changeCount(),
      }
    },
  )
}

export const vvRecord = (vv: VersionVector): Record<string, number> => {
  const out: Record<string, number> = {}
  for (const [peer, counter] of vv.toJSON()) out[String(peer)] = counter
  return out
}
