import type { DocId, WorkspaceId } from "@vibestack/schema"
import type { Internal, Unavailable } from "@vibestack/shared"
import { Context, type Effect } from "effect"

/**
 * What the byte store needs from the isolated Loro pool (apps/server/src/pool):
 * the server's copy of each document lives there, never in the main thread.
 */
export interface DocPoolApi {
  /**
   * Imports the blobs (in order) into the pool's copy and proves the document healthy;
   * one result per blob. Refused blobs are left out of the copy. `head` is the log's last
   * seq as the caller read it: a copy behind it (other nodes committed) is reloaded first.
   */
  readonly validate: (
    ws: WorkspaceId,
    doc: DocId,
    blobs: ReadonlyArray<Uint8Array>,
    head?: number,
  ) => Effect.Effect<
    ReadonlyArray<{ readonly ok: true } | { readonly ok: false; readonly reason: string }>,
    Internal | Unavailable
  >
  /** The last validated batch of this document is committed as seqs `from..to`. */
  readonly committed: (ws: WorkspaceId, doc: DocId, from: number, to: number) => Effect.Effect<void>
  /** The last validated batch did not commit: the copy must be rebuilt from the store. */
  readonly discard: (ws: WorkspaceId, doc: DocId) => Effect.Effect<void>
  /** A full snapshot of the committed document and the seq it covers. */
  readonly snapshot: (
    ws: WorkspaceId,
    doc: DocId,
  ) => Effect.Effect<{ bytes: Uint8Array; seq: number }, Internal | Unavailable>
}

export class DocPool extends Context.Tag("DocPool")<DocPool, DocPoolApi>() {}
