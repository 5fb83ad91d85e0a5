import { newId } from "@vibestack/schema"
import { useCallback, useEffect, useRef, useState } from "react"
import { intent } from "../sync/intents.js"
import type { WorkspaceSession } from "../sync/WorkspaceSession.js"
import { nextColor } from "../ui/colors.js"
import { type WriteResult, write } from "../ui/write.js"
import { type Identity, readIdentity, writeIdentity } from "./identity.js"

/**
 * This device's person in the open workspace. A writer whose person is not in the document
 * yet (a link gave only a name) adds it, once; once it is there, the document's name wins (the
 * master may rename people) and the local copy follows; if it is removed later, it stays
 * removed (the device does not add it back). Commits name this person (authorship).
 */
export const useIdentity = (
  session: WorkspaceSession | undefined,
  canWrite: boolean,
  docVersion: number,
): { readonly identity: Identity | undefined; readonly setName: (name: string) => WriteResult } => {
  const ws = session?.meta.workspaceId
  const [identity, setIdentity] = useState<Identity | undefined>(() => (ws ? readIdentity(ws) : undefined))
  useEffect(() => {
    if (ws === undefined) return
    const reread = () => setIdentity(readIdentity(ws))
    reread()
    addEventListener("vibestack-identity", reread)
    return () => removeEventListener("vibestack-identity", reread)
  }, [ws])
  const member = identity !== undefined ? session?.index.members.get(identity.memberId) : undefined
  // The person this session was asked to add: the worker answers later, and asking again on
  // every render until then would loop (each write re-renders the page).
  const added = useRef<{ session: WorkspaceSession; memberId: string } | undefined>(undefined)
  // biome-ignore lint/correctness/useExhaustiveDependencies: docVersion is the trigger: the people may have changed
  useEffect(() => {
    if (session === undefined || identity === undefined) return
    const ws = session.meta.workspaceId
    if (member !== undefined && identity.seen !== true) {
      setIdentity(writeIdentity(ws, member.name, identity.memberId, { seen: true }))
    } else if (
      member === undefined &&
      identity.fromLink !== true &&
      identity.seen !== true &&
      canWrite &&
      session.readOnlyReason === undefined &&
      (added.current?.session !== session || added.current.memberId !== identity.memberId)
    ) {
      added.current = { session, memberId: identity.memberId }
      const color = nextColor(session.index.members.size)
      write(session, intent("upsertMember", { id: identity.memberId, name: identity.name, color }))
    } else if (member !== undefined && member.name !== identity.name)
      setIdentity(writeIdentity(ws, member.name, identity.memberId))
  }, [session, identity, member, canWrite, docVersion])
  useEffect(() => {
    if (session === undefined) return
    // The document worker stamps this person on every commit (and undo) it makes.
    session.post({ _tag: "Author", memberId: identity?.memberId })
  }, [session, identity])
  const setName = useCallback(
    (name: string): WriteResult => {
      if (session === undefined) return { ok: false, message: "Not open yet." }
      const id = identity?.memberId
      const current = id !== undefined ? session.index.members.get(id) : undefined
      if (canWrite) {
        const color = current?.color ?? nextColor(session.index.members.size)
        // The id is chosen here: the helper runs in the worker and its result does not come back.
        const memberId = id ?? newId<string>()
        const r = write(session, intent("upsertMember", { id: memberId, name, color }))
        if (!r.ok) return r
        setIdentity(writeIdentity(session.meta.workspaceId, name, memberId))
        return r
      }
      // A viewer cannot add people: the name is this device's own (shown in presence).
      setIdentity(writeIdentity(session.meta.workspaceId, name, id))
      return { ok: true }
    },
    [session, identity, canWrite],
  )
  return { identity, setName }
}
