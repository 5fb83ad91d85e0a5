import { MAIN_DOC, type WorkspaceId } from "@vibestack/schema"
import { useEffect, useState } from "react"
import { tabSync } from "../sync/runtime.js"

export interface LocalCounts {
  /** Commits in this device's outbox: saved here, not yet accepted by the server. */
  readonly outbox: number
  /** Commits the server refused (kept aside, never silently dropped). */
  readonly rejected: number
}

/**
 * Read straight from IndexedDB, so the count is right even when no sync leader reports
 * (workspace not registered yet, worker failed, server unreachable). `trigger` re-reads.
 */
export const useLocalCounts = (ws: WorkspaceId, trigger: unknown): LocalCounts | undefined => {
  const [counts, setCounts] = useState<LocalCounts | undefined>(undefined)
  // biome-ignore lint/correctness/useExhaustiveDependencies: trigger is what makes a re-read worthwhile
  useEffect(() => {
    let live = true
    const store = tabSync().store
    const read = () =>
      void Promise.all([store.outboxCount(ws, MAIN_DOC), store.rejectedCount(ws, MAIN_DOC)]).then(
        ([outbox, rejected]) => live && setCounts({ outbox, rejected }),
        () => undefined,
      )
    // Debounced: a burst of commits or status reports costs one read.
    const t = setTimeout(read, 150)
    return () => {
      live = false
      clearTimeout(t)
    }
  }, [ws, trigger])
  return counts
}
