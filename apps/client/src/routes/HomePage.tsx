import { Link, useNavigate } from "@tanstack/react-router"
import { newId, type WorkspaceId } from "@vibestack/schema"
import { type FormEvent, useState } from "react"
import { useWorkspaces } from "../hooks/useWorkspaces.js"
import { describeFatal } from "../sync/fatalMessage.js"
import { tabSync } from "../sync/runtime.js"

/** Workspace list and creation. Creating works offline: the leader registers it later. */
export const HomePage = () => {
  const workspaces = useWorkspaces()
  const navigate = useNavigate()
  const [name, setName] = useState("")

  const create = async (e: FormEvent) => {
    e.preventDefault()
    const trimmed = name.trim()
    if (trimmed === "") return
    const workspaceId = newId<WorkspaceId>()
    await tabSync().store.putWorkspace({
      workspaceId,
      name: trimmed,
      serverUrl: location.origin,
      token: undefined,
      role: "master",
      createdAt: Date.now(),
      creatorKey: newId<string>(),
    })
    tabSync().workspacesChanged()
    setName("")
    await navigate({ to: "/w/$workspaceId", params: { workspaceId } })
  }

  return (
    <main className="page">
      <h1>Workspaces</h1>
      <form className="row" onSubmit={create}>
        <label htmlFor="new-workspace">New workspace</label>
        <input id="new-workspace" value={name} onChange={(e) => setName(e.target.value)} placeholder="Team name" />
        <button type="submit">Create</button>
      </form>
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
              {w.fatal !== undefined && <span className="badge error">{describeFatal(w.fatal)}</span>}
            </li>
          ))}
        </ul>
      )}
    </main>
  )
}
