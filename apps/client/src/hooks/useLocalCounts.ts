import { MAIN_DOC, type WorkspaceId } from "@vibestack/schema"
import { useEffect, useMemo, useState } from "react"
import { tabSync } from "../sync/runtime.js"
import { SETTLE_MS } from "../ui/syncView.js"

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
  /** When the tab last wrote (`Date.now()`), if it writes. */
  readonly lastWriteAt?: number
}

/**
 * Commits `session` stored that the last read may have missed: all it stored while no read
 * was made for it (before the first, or after the document was reopened as a new session).
 */
export const storedSince = (counts: LocalCounts | undefined, session: StoredCount): number =>
  counts?.storedAtRead?.of === session ? session.stored - counts.storedAtRead.stored : session.stored

/**
 * Runs `read` at once when asked, one at a time: asked again while a read is under way, it reads
 * once more when that one ends (everything asked meanwhile is in that read). A burst of commits
 * or status reports costs two reads, and the last state is always read.
 */
export const coalescing = (read: () => Promise<void>): (() => void) => {
  let running = false
  let again = false
  const run = (): void => {
    running = true
    again = false
    read()
      .catch(() => undefined)
      .finally(() => {
        running = false
        if (again) run()
      })
  }
  return () => {
    if (running) again = true
    else run()
  }
}

/**
 * Read straight from IndexedDB, so the counts are right even when no sync leader reports
 * (before its first report, workspace not registered yet, worker failed, server unreachable).
 * Cheap: index counts and the oldest outbox row, never the bytes of the others. `trigger`
 * re-reads at once (`coalescing`) unless the tab is in the middle of quick edits: a read
 * debounced by 150 ms said "Up to date" that long after the server's ack.
 */
export const useLocalCounts = (ws: WorkspaceId, trigger: unknown, session?: StoredCount): LocalCounts | undefined => {
  const [counts, setCounts] = useState<LocalCounts | undefined>(undefined)
  const reader = useMemo(() => {
    const store = tabSync().store
    let live = true
    const ask = coalescing(async () => {
      const storedAtRead = session === undefined ? undefined : { of: session, stored: session.stored }
      const outbox = await store.outboxStats(ws, MAIN_DOC)
      if (live)
        setCounts({ outbox: outbox.count, oldestPendingAt: outbox.oldestAt, rejected: outbox.rejected, storedAtRead })
    })
    const stop = (): void => {
      live = false
    }
    return { ask, stop }
  }, [ws, session])
  useEffect(() => reader.stop, [reader])
  // While this tab's edits come quickly the bar holds its words (`viewWhileEditing`): one read
  // once they pause, not one per keystroke (a read is ~3 ms of the page's main thread).
  // biome-ignore lint/correctness/useExhaustiveDependencies: trigger is what makes a re-read worthwhile
  useEffect(() => {
    const wait = (session?.lastWriteAt ?? 0) + SETTLE_MS - Date.now()
    if (wait <= 0) return reader.ask()
    const t = setTimeout(reader.ask, wait)
    return () => clearTimeout(t)
  }, [reader, trigger])
  return counts
}
