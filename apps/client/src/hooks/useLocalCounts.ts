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
  /** `stored()` when this read began: commits stored after it may be missing from `outbox`. */
  readonly storedAtRead: number
}

/**
 * Read straight from IndexedDB, so the counts are right even when no sync leader reports
 * (before its first report, workspace not registered yet, worker failed, server unreachable).
 * Cheap: index counts and the oldest outbox row, never the bytes of the others. `trigger`
 * re-reads (debounced, so a burst of commits or status reports costs one read).
 */
export const useLocalCounts = (
  ws: WorkspaceId,
  trigger: unknown,
  stored: () => number = () => 0,
): LocalCounts | undefined => {
  const [counts, setCounts] = useState<LocalCounts | undefined>(undefined)
  // biome-ignore lint/correctness/useExhaustiveDependencies: trigger is what makes a re-read worthwhile
  useEffect(() => {
    let live = true
    const store = tabSync().store
    const read = () => {
      const storedAtRead = stored()
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
