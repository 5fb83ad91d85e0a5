import { MAIN_DOC, type WorkspaceId } from "@vibestack/schema"
import { useEffect, useState } from "react"
import { tabSync } from "../sync/runtime.js"

export interface LocalCounts {
  /** Commits in this device's outbox: saved here, not yet accepted by the server. */
  readonly outbox: number
  /** When the oldest of them was made; undefined when none waits. */
  readonly oldestPendingAt: number | undefined
  /** Commits the server refused (kept aside, never silently dropped). */
  readonly rejected: number
  /** The tab's session this read was made for, and its `stored` when the read began. */
  readonly storedAtRead: { readonly of: StoredCount; readonly stored: number } | undefined
}

/** A tab's count of the commits it has put in the outbox (`WorkspaceSession.stored`). */
export interface StoredCount {
  readonly stored: number
}

/**
 * Commits `session` stored that the last read may have missed: all it stored while no read
 * was made for it (before the first, or after the document was reopened as a new session).
 */
export const storedSince = (counts: LocalCounts | undefined, session: StoredCount): number =>
  counts?.storedAtRead?.of === session ? session.stored - counts.storedAtRead.stored : session.stored

/**
 * Read straight from IndexedDB, so the counts are right even when no sync leader reports
 * (before its first report, workspace not registered yet, worker failed, server unreachable).
 * Cheap: index counts and the oldest outbox row, never the bytes of the others. `trigger`
 * re-reads (debounced, so a burst of commits or status reports costs one read).
 */
export const useLocalCounts = (ws: WorkspaceId, trigger: unknown, session?: StoredCount): LocalCounts | undefined => {
  const [counts, setCounts] = useState<LocalCounts | undefined>(undefined)
  // biome-ignore lint/correctness/useExhaustiveDependencies: trigger is what makes a re-read worthwhile
  useEffect(() => {
    let live = true
    const store = tabSync().store
    const read = () => {
      const storedAtRead = session === undefined ? undefined : { of: session, stored: session.stored }
      void Promise.all([store.outboxStats(ws, MAIN_DOC), store.rejectedCount(ws, MAIN_DOC)]).then(
        ([outbox, rejected]) =>
          live && setCounts({ outbox: outbox.count, oldestPendingAt: outbox.oldestAt, rejected, storedAtRead }),
        () => undefined,
      )
    }
    const t = setTimeout(read, counts === undefined ? 0 : 150)
    return () => {
      live = false
      clearTimeout(t)
    }
  }, [ws, trigger])
  return counts
}
