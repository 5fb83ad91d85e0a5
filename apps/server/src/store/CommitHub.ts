import type { DocId, WorkspaceId } from "@vibestack/schema"
import { Effect } from "effect"

/** An update this node just committed: durable, with its seq. */
export interface CommittedUpdate {
  readonly ws: WorkspaceId
  readonly doc: DocId
  readonly seq: number
  readonly bytes: Uint8Array
}

/**
 * Fan-out from memory: the push path publishes what it committed right after COMMIT, and the
 * live server sends it to this node's subscribers without reading it back from Postgres.
 * Listeners run synchronously and must not throw (they only queue frames). Other nodes learn
 * of the same commits through the NOTIFY sent in the committing transaction.
 */
export class CommitHub extends Effect.Service<CommitHub>()("CommitHub", {
  sync: () => {
    const listeners = new Set<(updates: ReadonlyArray<CommittedUpdate>) => void>()
    return {
      publish: (updates: ReadonlyArray<CommittedUpdate>): void => {
        if (updates.length === 0) return
        for (const l of listeners) l(updates)
      },
      /** Returns the unsubscribe function. */
      subscribe: (listener: (updates: ReadonlyArray<CommittedUpdate>) => void): (() => void) => {
        listeners.add(listener)
        return () => listeners.delete(listener)
      },
    } as const
  },
}) {}
