import { Link, useParams } from "@tanstack/react-router"
import { canWrite, newId, type WorkspaceId } from "@vibestack/schema"
import { useCallback, useEffect, useState } from "react"
import { BackupsDialog } from "../backups/BackupsDialog.js"
import { FilterBar } from "../board/FilterBar.js"
import { Projects } from "../board/Projects.js"
import { NO_FILTER, type TaskFilter } from "../board/taskFilter.js"
import { useViewKind, ViewSwitch } from "../board/ViewSwitch.js"
import { NewItemForm } from "../components/NewItemForm.js"
import { NoticesProvider } from "../components/Notices.js"
import { PeopleDialog } from "../components/PeopleDialog.js"
import { RefusedDialog } from "../components/RefusedDialog.js"
import { ShareDialog } from "../components/ShareDialog.js"
import { StatusBar } from "../components/StatusBar.js"
import { TaskPanel } from "../components/TaskPanel.js"
import { UndoContext } from "../components/UndoContext.js"
import { WriteFailureNotices } from "../components/WriteFailureNotices.js"
import { HistoryDialog } from "../history/HistoryDialog.js"
import { useTabSyncValue } from "../hooks/useTabSync.js"
import { useUndoHistory, useUndoShortcuts } from "../hooks/useUndo.js"
import { useDocVersion, useWorkspaceSession } from "../hooks/useWorkspaceSession.js"
import { useIdentity } from "../people/useIdentity.js"
import { useMembers } from "../people/useMembers.js"
import { HereNow, OthersHere } from "../presence/HereNow.js"
import { caretsIn } from "../presence/remoteCarets.js"
import { usePresence } from "../presence/usePresence.js"
import { intent } from "../sync/intents.js"
import { nextColor } from "../ui/colors.js"
import { RULES } from "../ui/textRules.js"
import { write } from "../ui/write.js"

type Dialog = "share" | "history" | "backups" | "people" | "refused"

export const BoardPage = () => {
  const { workspaceId } = useParams({ from: "/w/$workspaceId" })
  // The meta (token, role, fatal) changes when the leader registers or the server refuses us.
  // Not the whole snapshot: the leader's status reports re-render the status bar alone.
  const workspacesVersion = useTabSyncValue((t) => t.workspacesVersion)
  const state = useWorkspaceSession(workspaceId as WorkspaceId, workspacesVersion)
  const session = state._tag === "Open" ? state.session : undefined
  const docVersion = useDocVersion(session)
  const readOnly =
    session === undefined ||
    !canWrite(session.meta.role) ||
    session.meta.fatal !== undefined ||
    session.readOnlyReason !== undefined
  const writable = session !== undefined && canWrite(session.meta.role) && session.meta.fatal === undefined
  const { identity, setName } = useIdentity(session, writable, docVersion)
  const members = useMembers(session)
  const [view, setView] = useViewKind()
  const [filter, setFilter] = useState<TaskFilter>(NO_FILTER)
  const history = useUndoHistory(session, readOnly)
  useUndoShortcuts(history)
  const [selected, setSelected] = useState<string | undefined>(undefined)
  const [dialog, setDialog] = useState<Dialog | undefined>(undefined)
  const showRefused = useCallback(() => setDialog("refused"), [])
  const [typing, setTyping] = useState(false)
  // biome-ignore lint/correctness/useExhaustiveDependencies: selected is the trigger: another task, no typing yet
  useEffect(() => {
    setTyping(false)
  }, [selected])
  const presence = usePresence(session, identity, selected, typing)
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
        This workspace could not be opened on this device. Reload the page to try again; its data stays stored here.{" "}
        <Link to="/">Your workspaces</Link>
      </main>
    )

  const s = state.session
  const close = () => setDialog(undefined)
  const projects = s.index.projectList()
  return (
    <UndoContext.Provider value={history}>
      <NoticesProvider>
        <WriteFailureNotices session={s} />
        <div className="board-layout">
          <header className="topbar row">
            <Link to="/">← Workspaces</Link>
            <h1>{s.meta.name}</h1>
            <HereNow people={presence.people} />
            {history !== undefined && (
              <>
                <button type="button" title="Undo (Ctrl+Z)" disabled={!history.canUndo} onClick={() => history.undo()}>
                  Undo
                </button>
                <button
                  type="button"
                  title="Redo (Ctrl+Shift+Z)"
                  disabled={!history.canRedo}
                  onClick={() => history.redo()}
                >
                  Redo
                </button>
              </>
            )}
            <button type="button" onClick={() => setDialog("people")}>
              {identity === undefined ? "People · set your name" : `People · you are ${identity.name}`}
            </button>
            <button type="button" onClick={() => setDialog("history")}>
              History
            </button>
            {s.meta.role === "master" && s.meta.token !== undefined && (
              <>
                <button type="button" onClick={() => setDialog("share")}>
                  Share
                </button>
                <button type="button" onClick={() => setDialog("backups")}>
                  Backups
                </button>
              </>
            )}
          </header>
          <div className="board-alerts">
            {s.filling && (
              <p className="muted" role="status" data-testid="filling">
                Loading the rest of the workspace…
              </p>
            )}
            {s.readOnlyReason !== undefined && (
              <p role="alert" className="banner warn" data-testid="too-new">
                {s.readOnlyReason}
              </p>
            )}
          </div>
          <main className="board" data-doc-loaded={s.loaded} data-filling={s.filling}>
            {!readOnly && (
              <NewItemForm
                className="row new-item"
                label="New project"
                button="Add project"
                rule={RULES.projectName}
                onAdd={(name) => write(s, intent("createProject", { name, color: nextColor(s.index.projects.size) }))}
              />
            )}
            {projects.length === 0 && <p className="muted">{s.loaded ? "No projects yet." : "Loading…"}</p>}
            {projects.length > 0 && (
              <div className="row board-controls">
                <ViewSwitch view={view} onChange={setView} />
                <FilterBar filter={filter} members={members} onChange={setFilter} />
              </div>
            )}
            <Projects
              view={view}
              viewers={presence.byTask}
              session={s}
              filter={filter}
              members={members}
              readOnly={readOnly}
              selected={selected}
              onSelect={setSelected}
            />
          </main>
          {selected !== undefined && (
            <TaskPanel
              taskId={selected}
              session={s}
              readOnly={readOnly}
              authorId={identity?.memberId}
              others={<OthersHere viewers={presence.byTask.get(selected)} />}
              onTyping={setTyping}
              carets={caretsIn(presence.byTask.get(selected))}
              onCaret={presence.setCaret}
              showFields={view === "board"}
              onClose={() => setSelected(undefined)}
            />
          )}
          {dialog === "share" && s.meta.token !== undefined && (
            <ShareDialog
              workspaceId={s.meta.workspaceId}
              token={s.meta.token}
              namePerson={(name) => {
                // The id is chosen here: the helper runs in the worker and its result does not come back.
                const id = newId<string>()
                const r = write(s, intent("upsertMember", { id, name, color: nextColor(s.index.members.size) }))
                return r.ok ? id : undefined
              }}
              onClose={close}
            />
          )}
          {dialog === "backups" && s.meta.token !== undefined && (
            <BackupsDialog workspaceId={s.meta.workspaceId} token={s.meta.token} onClose={close} />
          )}
          {dialog === "history" && (
            <HistoryDialog session={s} docVersion={docVersion} readOnly={readOnly} onClose={close} />
          )}
          {dialog === "people" && (
            <PeopleDialog
              session={s}
              readOnly={readOnly}
              docVersion={docVersion}
              you={identity}
              onSetName={setName}
              onClose={close}
            />
          )}
          {dialog === "refused" && <RefusedDialog session={s} onClose={close} />}
          <StatusBar session={s} meta={s.meta} readOnlyReason={s.readOnlyReason} onShowRefused={showRefused} />
        </div>
      </NoticesProvider>
    </UndoContext.Provider>
  )
}
