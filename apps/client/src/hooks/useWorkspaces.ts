import type { WorkspaceMeta } from "@vibestack/shared"
import { useEffect, useState } from "react"
import { tabSync } from "../sync/runtime.js"
import { useTabSyncValue } from "./useTabSync.js"

/** The workspaces on this device, reloaded whenever any tab or the leader changes the list. */
export const useWorkspaces = (): ReadonlyArray<WorkspaceMeta> | undefined => {
  const workspacesVersion = useTabSyncValue((s) => s.workspacesVersion)
  const [list, setList] = useState<ReadonlyArray<WorkspaceMeta> | undefined>(undefined)
  // biome-ignore lint/correctness/useExhaustiveDependencies: workspacesVersion is the trigger: the list changed
  useEffect(() => {
    let live = true
    void tabSync()
      .store.listWorkspaces()
      .then((l) => {
        if (live) setList([...l].sort((a, b) => a.createdAt - b.createdAt))
      })
    return () => {
      live = false
    }
  }, [workspacesVersion])
  return list
}
