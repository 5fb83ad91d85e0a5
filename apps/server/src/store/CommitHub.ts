import { randomUUID } from "node:crypto"
import type { DocId, WorkspaceId } from "@vibestack/schema"
import { Effect } from "effect"

/** An update this node just committed: durable, with its seq. */
export interface CommittedUpdate {
  readonly ws: WorkspaceId
  readonly doc: DocId
  readonly seq: number
  readonly bytes: Uint8Array
}

export interface CommitListener {
  /** Updates committed by this node, in seq order per document. */
  readonly committed: (updates: ReadonlyArray<CommittedUpdate>) => void
  /**
   * Commits of these documents whose outcome this node does not know (the transaction failed or
   * timed out, and may have committed all the same): read them back from the log.
   */
  readonly recheck: (docs: ReadonlyArray<{ readonly ws: WorkspaceId; readonly doc: DocId }>) => void
}

/**
 * Fan-out from memory: the push path publishes what it committed right after COMMIT, and the
 * live server sends it to this node's subscribers without reading it back from Postgres.
 * Listeners run synchronously and must not throw (they only queue frames). Other nodes learn
 * of the same commits through the NOTIFY sent in the committing transaction; this node skips
 * the NOTIFYs that carry its own `origin` (a fresh id per process, so two nodes never share
 * one), since it already sent those updates, or will when `recheck` reads them back.
 */
export class CommitHub extends Effect.Service<CommitHub>()("CommitHub", {
  sync: () => {
    const listeners = new Set<CommitListener>()
    return {
      origin: randomUUID(),
      publish: (updates: ReadonlyArray<CommittedUpdate>): void => {
        if (updates.length === 0) return
        for (const l of listeners) l.committed(updates)
      },
      recheck: (docs: ReadonlyArray<{ readonly ws: WorkspaceId; readonly doc: DocId }>): void => {
        if (docs.length === 0) return
        for (const l of listeners) l.recheck(docs)
      },
      /** Returns the unsubscribe function. */
      subscribe: (listener: CommitListener): (() => void) => {
        listeners.add(listener)
        return () => listeners.delete(listener)
      },
    } as const
  },
}) {}
