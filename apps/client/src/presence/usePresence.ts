import type { Member } from "@vibestack/schema"
import { useCallback, useEffect, useMemo, useRef, useSyncExternalStore } from "react"
import type { Identity } from "../people/identity.js"
import type { PresenceShown } from "../sync/docMessages.js"
import type { WorkspaceSession } from "../sync/WorkspaceSession.js"
import { nextColor } from "../ui/colors.js"

export interface TaskViewer {
  readonly key: string
  readonly member: Member
  readonly typing: boolean
  /** Where their caret is in this tab's copy of the description. */
  readonly caretOffset?: number
}

export interface Presence {
  /** Everyone else here now, one per person (their tabs merged). */
  readonly people: ReadonlyArray<PresenceShown>
  /** Task id → who has it open (and whether they are typing in it). */
  readonly byTask: ReadonlyMap<string, ReadonlyArray<TaskViewer>>
  /**
   * Where this tab's caret is in the open description (undefined: nowhere). Sent to the
   * worker at once, without a render: it moves with every keystroke, and a page state would
   * re-render the whole board page each time.
   */
  readonly setCaret: (offset: number | undefined) => void
}

const asMember = (p: PresenceShown): Member => ({
  id: (p.memberId ?? p.key) as Member["id"],
  name: p.name,
  color: p.color,
})
const nobody: ReadonlyArray<PresenceShown> = []
const noop = () => () => {}

/**
 * Presence for the open workspace. The presence socket runs in the tab's document worker
 * (`PresenceHost`: Loro's `EphemeralStore` and `Cursor`s stay off the page): it is given the
 * token while the workspace has one that still works (none before registration, none once
 * revoked or expired: `meta.fatal`), and this tab's state (name, colour, open task, typing,
 * caret offset) whenever it changes.
 */
export const usePresence = (
  session: WorkspaceSession | undefined,
  identity: Identity | undefined,
  openTask: string | undefined,
  typing: boolean,
): Presence => {
  const token = session?.meta.fatal === undefined ? session?.meta.token : undefined
  useEffect(() => {
    if (session === undefined) return
    session.post({ _tag: "PresenceAuth", token })
    return () => session.post({ _tag: "PresenceAuth", token: undefined })
  }, [session, token])
  const member = identity !== undefined ? session?.index.members.get(identity.memberId) : undefined
  const caret = useRef<number | undefined>(undefined)
  // The latest state without the caret, for `setCaret` between renders.
  const send = useRef<(caretOffset: number | undefined) => void>(() => {})
  send.current = (caretOffset) =>
    session?.post({
      _tag: "PresenceSet",
      state: {
        name: member?.name ?? identity?.name ?? "Guest",
        color: member?.color ?? nextColor(7),
        ...(identity !== undefined ? { memberId: identity.memberId } : {}),
        ...(openTask !== undefined ? { taskId: openTask, typing } : {}),
        ...(openTask !== undefined && typing && caretOffset !== undefined ? { caretOffset } : {}),
      },
    })
  // Another task: the caret is nowhere until its field reports it. (It is sent only while typing.)
  // biome-ignore lint/correctness/useExhaustiveDependencies: openTask is the trigger
  useEffect(() => {
    caret.current = undefined
  }, [openTask])
  // biome-ignore lint/correctness/useExhaustiveDependencies: what `send` reads; a change sends the state again
  useEffect(() => send.current(caret.current), [session, member, identity, openTask, typing])
  const setCaret = useCallback((offset: number | undefined) => {
    if (caret.current === offset) return
    caret.current = offset
    send.current(offset)
  }, [])
  const peers = useSyncExternalStore(session?.subscribe ?? noop, () => session?.presence ?? nobody)
  return useMemo(() => {
    const people = new Map<string, PresenceShown>()
    for (const p of peers) people.set(p.memberId ?? p.key, p)
    const byTask = new Map<string, Array<TaskViewer>>()
    for (const p of peers) {
      if (p.taskId === undefined) continue
      let list = byTask.get(p.taskId)
      if (list === undefined) byTask.set(p.taskId, (list = []))
      list.push({
        key: p.key,
        member: asMember(p),
        typing: p.typing === true,
        ...(p.caretOffset !== undefined ? { caretOffset: p.caretOffset } : {}),
      })
    }
    return { people: [...people.values()], byTask, setCaret }
  }, [peers, setCaret])
}
