import type { Member } from "@vibestack/schema"
import { useEffect, useMemo, useState } from "react"
import type { Identity } from "../people/identity.js"
import type { WorkspaceSession } from "../sync/WorkspaceSession.js"
import { nextColor } from "../ui/colors.js"
import { type Peer, PresenceChannel } from "./PresenceChannel.js"

export interface TaskViewer {
  readonly key: string
  readonly member: Member
  readonly typing: boolean
  readonly caret?: string
}

export interface Presence {
  /** Everyone else here now, one per person (their tabs merged). */
  readonly people: ReadonlyArray<Peer>
  /** Task id → who has it open (and whether they are typing in it). */
  readonly byTask: ReadonlyMap<string, ReadonlyArray<TaskViewer>>
}

const asMember = (p: Peer): Member => ({ id: (p.memberId ?? p.key) as Member["id"], name: p.name, color: p.color })

/**
 * Presence for the open workspace: a `PresenceChannel` while the workspace has a token that
 * still works (none before registration, none once revoked or expired: `meta.fatal`), and this
 * tab's state (name, colour, open task, typing) kept up to date.
 */
export const usePresence = (
  session: WorkspaceSession | undefined,
  identity: Identity | undefined,
  openTask: string | undefined,
  typing: boolean,
  caret: string | undefined,
): Presence => {
  const [channel, setChannel] = useState<PresenceChannel | undefined>(undefined)
  const [version, setVersion] = useState(0)
  const ws = session?.meta.workspaceId
  const token = session?.meta.fatal === undefined ? session?.meta.token : undefined
  useEffect(() => {
    if (ws === undefined || token === undefined) return
    const c = new PresenceChannel(ws, token, () => setVersion((v) => v + 1))
    setChannel(c)
    return () => {
      c.stop()
      setChannel(undefined)
    }
  }, [ws, token])
  const member = identity !== undefined ? session?.index.members.get(identity.memberId) : undefined
  useEffect(() => {
    if (channel === undefined) return
    channel.set({
      name: member?.name ?? identity?.name ?? "Guest",
      color: member?.color ?? nextColor(7),
      ...(identity !== undefined ? { memberId: identity.memberId } : {}),
      ...(openTask !== undefined ? { taskId: openTask, typing } : {}),
      ...(openTask !== undefined && typing && caret !== undefined ? { caret } : {}),
    })
  }, [channel, member, identity, openTask, typing, caret])
  // biome-ignore lint/correctness/useExhaustiveDependencies: version is the trigger: someone's presence changed
  return useMemo(() => {
    const peers = channel?.peers() ?? []
    const people = new Map<string, Peer>()
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
        ...(p.caret !== undefined ? { caret: p.caret } : {}),
      })
    }
    return { people: [...people.values()], byTask }
  }, [channel, version])
}
