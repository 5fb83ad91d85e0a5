import { Link, useNavigate } from "@tanstack/react-router"
import { newId, type WorkspaceId } from "@vibestack/schema"
import { useEffect } from "react"
import { NewItemForm } from "../components/NewItemForm.js"
import { useWorkspaces } from "../hooks/useWorkspaces.js"
import { pageShown } from "../serviceWorker.js"
import { describeFatal } from "../sync/fatalMessage.js"
import { tabSync } from "../sync/runtime.js"
import { RULES } from "../ui/textRules.js"
import type { WriteResult } from "../ui/write.js"

/** Workspace list and creation. Creating works offline: the leader registers it later. */
export const HomePage = () => {
  const workspaces = useWorkspaces()
  const navigate = useNavigate()
  useEffect(pageShown, [])
  const create = async (name: string): Promise<WriteResult> => {
    const workspaceId = newId<WorkspaceId>()
    try {
      await tabSync().store.putWorkspace({
        workspaceId,
        name,
        serverUrl: location.origin,
        token: undefined,
        role: "master",
        createdAt: Date.now(),
        creatorKey: newId<string>(),
      })
    } catch (e) {
      console.warn("could not store the workspace", e)
      return { ok: false, message: "Not saved: this browser refused to store it (storage full or blocked?)." }
    }
    tabSync().workspacesChanged()
    await navigate({ to: "/w/$workspaceId", params: { workspaceId } })
    return { ok: true }
  }

  return (
    <main className="page">
      <h1>Workspaces</h1>
      <NewItemForm
        className="row new-item"
        label="New workspace"
        placeholder="Team name"
        button="Create"
        rule={RULES.workspaceName}
        onAdd={create}
      />
      {workspaces === undefined ? (
        <p>Loading…</p>
      ) : workspaces.length === 0 ? (
        <p className="muted">No workspaces on this device yet.</p>
      ) : (
        <ul className="workspace-list">
          {workspaces.map((w) => (
            <li key={w.workspaceId}>
              <Link to="/w/$workspaceId" params={{ workspaceId: w.workspaceId }}>
                {w.name}
              </Link>{" "}
              <span className="badge">{w.role}</span>
              {w.token === undefined && <span className="badge warn">not registered yet</span>}
              {w.fatal !== undefined && <span className="badge error">{describeFatal(w.fatal).headline}</span>}
            </li>
          ))}
        </ul>
      )}
    </main>
  )
}
