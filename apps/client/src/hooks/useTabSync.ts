import { useSyncExternalStore } from "react"
import { tabSync } from "../sync/runtime.js"
import type { TabSyncSnapshot } from "../sync/TabSync.js"

export const useTabSync = (): TabSyncSnapshot => {
  const s = tabSync()
  return useSyncExternalStore(s.subscribe, s.getSnapshot)
}
