import type { DocId, WorkspaceId } from "@vibestack/schema"
import type { Internal, Unavailable } from "@vibestack/shared"
import { Context, type Effect } from "effect"
import type { ValidateOutcome } from "../pool/LoroPool.js"

/** One document's batch to validate. */
export interface DocBatch {
  readonly ws: WorkspaceId
  readonly doc: DocId
  readonly blobs: ReadonlyArray<Uint8Array>
}

/**
 * What the byte store needs from the isolated Loro pool (apps/server/src/pool):
 * the server's copy of each document lives there, never in the main thread.
 */
export interface DocPoolApi {
  /**
   * Imports each document's blobs (in order) into the pool's copy and proves the document
   * healthy; one outcome per batch (per-blob results, or why the pool could not judge it).
   * Refused blobs are left out of the copy. Documents must be distinct. A promise (it never
   * rejects): the push path calls it once per tick without a fiber.
   */
  readonly validateMany: (batches: ReadonlyArray<DocBatch>) => Promise<ReadonlyArray<ValidateOutcome>>
  /** Judged batches committed as seqs `fromSeq..seq` (fire and forget: the pool keeps call order). */
  readonly commitMany: (
    items: ReadonlyArray<{ ws: WorkspaceId; doc: DocId; batchId: number; seq: number; fromSeq: number }>,
  ) => void
  /** A judged batch did not commit (or a duplicate's bytes were imported): rebuild the copy from the store. */
  readonly discard: (ws: WorkspaceId, doc: DocId) => Effect.Effect<void>
  /** A full snapshot of the committed document and the seq it covers. */
  readonly snapshot: (
    ws: WorkspaceId,
    doc: DocId,
  ) => Effect.Effect<{ bytes: Uint8Array; seq: number }, Internal | Unavailable>
}

export class DocPool extends Context.Tag("DocPool")<DocPool, DocPoolApi>() {}
