import { decodeImportBlobMeta } from "loro-crdt"
import type { PoolOp } from "./PoolOp.js"

export interface BlobMeta {
  readonly changes: number
  /** Peers with ops in the blob (decimal strings). */
  readonly peers: ReadonlyArray<string>
  /** End of the blob's range per peer it holds: peer → next counter. */
  readonly end: Record<string, number>
}

/**
 * Decodes stored blobs' headers (which peers, how many changes, up to which counter).
 * Runs in the pool: `decodeImportBlobMeta` itself crashed on some crafted bytes.
 */
export const blobMetas: PoolOp<{ readonly blobs: ReadonlyArray<Uint8Array> }, ReadonlyArray<BlobMeta>> = (_ctx, args) =>
  args.blobs.map((blob) => {
    const meta = decodeImportBlobMeta(blob, false)
    const start = meta.partialStartVersionVector.toJSON()
    const end: Record<string, number> = {}
    const peers: Array<string> = []
    for (const [peer, counter] of meta.partialEndVersionVector.toJSON()) {
      end[String(peer)] = counter
      if (counter > (start.get(peer) ?? 0)) peers.push(String(peer))
    }
    return { changes: meta.changeNum, peers, end }
  })
