import { useSyncExternalStore } from "react"
import { tabSync } from "../sync/runtime.js"
import type { TabSyncSnapshot } from "../sync/TabSync.js"

/** The whole snapshot: re-renders on every status report of every workspace. */
export const useTabSync = (): TabSyncSnapshot => {
  const s = tabSync()
  return useSyncExternalStore(s.subscribe, s.getSnapshot)
}

/**
 * One value of the snapshot (a number, a string: compared with `Object.is`): re-renders only
 * when it changes. The board page takes the workspace list's version this way, so the leader's
 * status reports (several per edit) re-render the status bar, not the board.
 */
export const useTabSyncValue = <A extends number | string | boolean | undefined>(
  pick: (s: TabSyncSnapshot) => A,
): A => {
  const s = tabSync()
  return useSyncExternalStore(s.subscribe, () => pick(s.getSnapshot()))
}
