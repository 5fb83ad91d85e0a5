import type { WorkspaceId } from "@vibestack/schema"
import { useEffect, useState, useSyncExternalStore } from "react"
import { tabSync } from "../sync/runtime.js"
import { WorkspaceSession } from "../sync/WorkspaceSession.js"

export type SessionState =
  | { readonly _tag: "Loading" }
  | { readonly _tag: "Missing" }
  | { readonly _tag: "Failed"; readonly message: string }
  | { readonly _tag: "Open"; readonly session: WorkspaceSession }

/** Opens the workspace's document in this tab for as long as the component is mounted. */
export const useWorkspaceSession = (ws: WorkspaceId, metaVersion: number): SessionState => {
  const [state, setState] = useState<SessionState>({ _tag: "Loading" })
  const session = state._tag === "Open" ? state.session : undefined
  // biome-ignore lint/correctness/useExhaustiveDependencies: metaVersion is the trigger: the workspace meta changed
  useEffect(() => {
    void session?.refreshMeta()
  }, [session, metaVersion])
  useEffect(() => {
    let live = true
    let opened: WorkspaceSession | undefined
    setState({ _tag: "Loading" })
    WorkspaceSession.open(tabSync(), ws).then(
      (s) => {
        if (!live) return s?.close()
        opened = s
        setState(s === undefined ? { _tag: "Missing" } : { _tag: "Open", session: s })
      },
      (e: unknown) => live && setState({ _tag: "Failed", message: String(e) }),
    )
    return () => {
      live = false
      opened?.close()
    }
  }, [ws])
  return state
}

const noop = () => () => {}
const zero = () => 0

/** Re-renders on every change of the session's document; returns its version number. */
export const useDocVersion = (session: WorkspaceSession | undefined): number =>
  useSyncExternalStore(session?.subscribe ?? noop, session?.version ?? zero)
