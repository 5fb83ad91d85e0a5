import { Link, useParams } from "@tanstack/react-router"
import { canWrite, createProject, type WorkspaceId } from "@vibestack/schema"
import { type FormEvent, useEffect, useState } from "react"
import { BackupsDialog } from "../backups/BackupsDialog.js"
import { ProjectColumn } from "../components/ProjectColumn.js"
import { ShareDialog } from "../components/ShareDialog.js"
import { StatusBar } from "../components/StatusBar.js"
import { TaskPanel } from "../components/TaskPanel.js"
import { HistoryDialog } from "../history/HistoryDialog.js"
import { useTabSync } from "../hooks/useTabSync.js"
import { useDocVersion, useWorkspaceSession } from "../hooks/useWorkspaceSession.js"

const COLORS = ["#4f7cff", "#e5534b", "#57ab5a", "#c69026", "#986ee2"]

export const BoardPage = () => {
  const { workspaceId } = useParams({ from: "/w/$workspaceId" })
  // The meta (token, role, fatal) changes when the leader registers or the server refuses us.
  const { workspacesVersion } = useTabSync()
  const state = useWorkspaceSession(workspaceId as WorkspaceId, workspacesVersion)
  const session = state._tag === "Open" ? state.session : undefined
  const docVersion = useDocVersion(session)
  const [projectName, setProjectName] = useState("")
  const [selected, setSelected] = useState<string | undefined>(undefined)
  const [sharing, setSharing] = useState(false)
  const [history, setHistory] = useState(false)
  const [backups, setBackups] = useState(false)
  const [error, setError] = useState<string | undefined>(undefined)
  useEffect(() => {
    document.title = session ? `${session.meta.name} · VibeStack` : "VibeStack"
  }, [session])

  if (state._tag === "Loading") return <main className="page">Loading…</main>
  if (state._tag === "Missing")
    return (
      <main className="page">
        <p>
          This workspace is not on this device. Open its share link, or go back to <Link to="/">your workspaces</Link>.
        </p>
      </main>
    )
  if (state._tag === "Failed")
    return (
      <main className="page" role="alert">
        Could not open the workspace: {state.message}
      </main>
    )

  const s = state.session
  const readOnly = !canWrite(s.meta.role) || s.meta.fatal !== undefined || s.readOnlyReason !== undefined
  const guarded = (fn: () => void) => {
    try {
      fn()
      setError(undefined)
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e))
    }
  }
  const addProject = (e: FormEvent) => {
    e.preventDefault()
    const name = projectName.trim()
    if (name === "") return
    guarded(() => s.change((d) => createProject(d, { name, color: COLORS[s.index.projects.size % COLORS.length]! })))
    setProjectName("")
  }
  const projects = s.index.projectList()
  return (
    <div className="board-layout">
      <header className="topbar row">
        <Link to="/">← Workspaces</Link>
        <h1>{s.meta.name}</h1>
        <button type="button" onClick={() => setHistory(true)}>
          History
        </button>
        {s.meta.role === "master" && s.meta.token !== undefined && (
          <>
            <button type="button" onClick={() => setSharing(true)}>
              Share
            </button>
            <button type="button" onClick={() => setBackups(true)}>
              Backups
            </button>
          </>
        )}
      </header>
      <div className="board-alerts">
        {s.readOnlyReason !== undefined && (
          <p role="alert" className="banner warn" data-testid="too-new">
            {s.readOnlyReason}
          </p>
        )}
        {error !== undefined && (
          <p role="alert" className="error">
            {error}
          </p>
        )}
      </div>
      <main className="board">
        {!readOnly && (
          <form className="row" onSubmit={addProject}>
            <label htmlFor="new-project">New project</label>
            <input id="new-project" value={projectName} onChange={(e) => setProjectName(e.target.value)} />
            <button type="submit">Add project</button>
          </form>
        )}
        {projects.length === 0 && <p className="muted">No projects yet.</p>}
        <div className="projects">
          {projects.map((p) => (
            <ProjectColumn
              key={p.id}
              project={p}
              tasks={s.index.tasksOf(p.id)}
              session={s}
              readOnly={readOnly}
              selectedTask={selected}
              onSelect={setSelected}
            />
          ))}
        </div>
      </main>
      {selected !== undefined && (
        <TaskPanel taskId={selected} session={s} readOnly={readOnly} onClose={() => setSelected(undefined)} />
      )}
      {sharing && s.meta.token !== undefined && (
        <ShareDialog workspaceId={s.meta.workspaceId} token={s.meta.token} onClose={() => setSharing(false)} />
      )}
      {backups && s.meta.token !== undefined && (
        <BackupsDialog workspaceId={s.meta.workspaceId} token={s.meta.token} onClose={() => setBackups(false)} />
      )}
      {history && <HistoryDialog doc={s.doc} docVersion={docVersion} onClose={() => setHistory(false)} />}
      <StatusBar meta={s.meta} unsaved={s.unsaved} docVersion={docVersion} readOnlyReason={s.readOnlyReason} />
    </div>
  )
}
