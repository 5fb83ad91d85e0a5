import { MAIN_DOC, type WorkspaceId } from "@vibestack/schema"
import { startTransition, useEffect, useRef, useState, useSyncExternalStore } from "react"
import { tabSync } from "../sync/runtime.js"
import { WorkspaceSession } from "../sync/WorkspaceSession.js"

export type SessionState =
  | { readonly _tag: "Loading" }
  | { readonly _tag: "Missing" }
  | { readonly _tag: "Failed"; readonly message: string }
  | { readonly _tag: "Open"; readonly session: WorkspaceSession }

/**
 * Opens the workspace's document in this tab for as long as the component is mounted, and
 * opens it again (a new session object, so React re-reads everything) when the leader
 * rewrote it in IndexedDB (`DocReset`: refused changes taken out, SPEC C14). Until the new
 * one is ready the old one stays on screen, so the board does not flash "Loading".
 */
export const useWorkspaceSession = (ws: WorkspaceId, metaVersion: number): SessionState => {
  const [state, setState] = useState<SessionState>({ _tag: "Loading" })
  const [generation, setGeneration] = useState(0)
  const session = state._tag === "Open" ? state.session : undefined
  // biome-ignore lint/correctness/useExhaustiveDependencies: metaVersion is the trigger: the workspace meta changed
  useEffect(() => {
    void session?.refreshMeta()
  }, [session, metaVersion])
  useEffect(
    () =>
      tabSync().onMessage((m) => {
        if (m._tag === "DocReset" && m.ws === ws && m.doc === MAIN_DOC) setGeneration((g) => g + 1)
      }),
    [ws],
  )
  const shown = useRef(ws)
  // biome-ignore lint/correctness/useExhaustiveDependencies: generation is the trigger: the stored document was rewritten
  useEffect(() => {
    // Another workspace: say so at once. The same one reopened: keep the old copy on screen.
    if (shown.current !== ws) setState({ _tag: "Loading" })
    shown.current = ws
    let live = true
    let opened: WorkspaceSession | undefined
    WorkspaceSession.open(tabSync(), ws).then(
      (s) => {
        if (!live) return s?.close()
        opened = s
        // A transition: React renders the board in slices of a few milliseconds, yielding to the
        // page between them, instead of in one task (the first board of a 100,000-task workspace
        // was one render of ~40 ms plus its commit, the reload's longest task).
        startTransition(() => setState(s === undefined ? { _tag: "Missing" } : { _tag: "Open", session: s }))
      },
      (e: unknown) => live && setState({ _tag: "Failed", message: String(e) }),
    )
    return () => {
      live = false
      opened?.close()
    }
  }, [ws, generation])
  return state
}

const zero = () => 0

/**
 * A value read from the session (`read` depends on the session alone), following its changes.
 * The page's own writes render at once, in the frame of the user's action; everything else (the
 * worker's changes, rows read from IndexedDB) renders in a transition, which React slices and
 * interrupts for input. `useSyncExternalStore` renders every store change in one blocking task:
 * a new device's first rows of a 100,000-task workspace were one render of 78 ms and a commit.
 */
export const useSessionValue = <A>(session: WorkspaceSession | undefined, read: () => A): A => {
  const readNow = useRef(read)
  readNow.current = read
  // The value with the session it was read from: another session's is read afresh.
  const [shown, setShown] = useState(() => ({ session, value: read() }))
  useEffect(() => {
    if (session === undefined) return
    let last = readNow.current()
    // A change between the render and this subscription.
    startTransition(() =>
      setShown((s) => (s.session === session && Object.is(s.value, last) ? s : { session, value: last })),
    )
    return session.subscribe((urgent) => {
      const next = readNow.current()
      if (Object.is(next, last)) return
      last = next
      if (urgent) setShown({ session, value: next })
      else startTransition(() => setShown({ session, value: next }))
    })
  }, [session])
  return shown.session === session ? shown.value : read()
}

/** Re-renders on every change of the session's document; returns its version number. */
export const useDocVersion = (session: WorkspaceSession | undefined): number =>
  useSessionValue(session, session?.version ?? zero)

/**
 * Re-renders when this tab's unsaved commits or its save error change (the status bar);
 * returns a number that changes with them.
 */
export const useSaveVersion = (session: WorkspaceSession): number =>
  useSyncExternalStore(session.subscribeSaves, session.saveVersion)
