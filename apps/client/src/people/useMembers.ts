import type { Member } from "@vibestack/schema"
import { useRef } from "react"
import type { WorkspaceSession } from "../sync/WorkspaceSession.js"

/**
 * The workspace's people as a map whose identity changes only when one of them changed, so
 * memoised columns and cards re-render on a rename, not on every keystroke elsewhere.
 * (`docVersion` is read by the caller to re-render; the index keeps unchanged members' objects.)
 */
export const useMembers = (session: WorkspaceSession | undefined): ReadonlyMap<string, Member> => {
  const last = useRef<ReadonlyMap<string, Member>>(new Map())
  const now = session?.index.members ?? new Map<string, Member>()
  const prev = last.current
  const same = prev.size === now.size && [...now].every(([id, m]) => prev.get(id) === m)
  if (!same) last.current = new Map(now)
  return last.current
}
