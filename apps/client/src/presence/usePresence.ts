import type { Member } from "@vibestack/schema"
import { useEffect, useMemo, useSyncExternalStore } from "react"
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
  caretOffset: number | undefined,
): Presence => {
  const token = session?.meta.fatal === undefined ? session?.meta.token : undefined
  useEffect(() => {
    if (session === undefined) return
    session.post({ _tag: "PresenceAuth", token })
    return () => session.post({ _tag: "PresenceAuth", token: undefined })
  }, [session, token])
  const member = identity !== undefined ? session?.index.members.get(identity.memberId) : undefined
  useEffect(() => {
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
  }, [session, member, identity, openTask, typing, caretOffset])
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
    return { people: [...people.values()], byTask }
  }, [peers])
}
