import type { Member, Project } from "@vibestack/schema"
import { memo, useMemo } from "react"
import { ProjectColumn } from "../components/ProjectColumn.js"
import { useNearScreen } from "../hooks/useNearScreen.js"
import { useSessionValue } from "../hooks/useWorkspaceSession.js"
import type { WorkspaceSession } from "../sync/WorkspaceSession.js"
import { ProjectBoard } from "./ProjectBoard.js"
import type { Viewers } from "./StatusColumn.js"
import { filterTasks, type TaskFilter } from "./taskFilter.js"
import type { BoardViewKind } from "./ViewSwitch.js"

interface Props {
  readonly view: BoardViewKind
  readonly viewers: Viewers
  readonly session: WorkspaceSession
  readonly filter: TaskFilter
  readonly members: ReadonlyMap<string, Member>
  readonly readOnly: boolean
  readonly selected: string | undefined
  readonly onSelect: (id: string) => void
}

/**
 * Every project, as lists or boards, through the filter. Each part subscribes to what it draws
 * (the project list; one project's task array, which the index replaces only when one of its
 * tasks changed), so a change re-renders its own project and not the page: a keystroke in a
 * description re-renders one list and, through memoised rows, one row.
 */
export const Projects = memo((p: Props) => {
  const projects = useSessionValue(p.session, () => p.session.index.projectList())
  return (
    <div className={p.view === "board" ? "projects boards" : "projects"}>
      {projects.map((project, i) => (
        <FilteredProject key={project.id} {...p} project={project} first={i === 0} />
      ))}
    </div>
  )
})

const FilteredProject = memo((p: Props & { readonly project: Project; readonly first: boolean }) => {
  const { session, project } = p
  const tasks = useSessionValue(session, () => session.index.tasksOf(project.id))
  const total = useSessionValue(session, () => session.taskCount(project.id))
  // Counts are the document's once it is loaded and its rows are all written (not in parts).
  const countFinal = useSessionValue(session, () => session.loaded && !session.filling)
  const shown = useMemo(() => filterTasks(tasks, p.filter), [tasks, p.filter])
  // A project renders its rows once near the screen (the first one at once), however short:
  // opening a workspace lays out one screenful, not every project's rows (forty short projects
  // were one task of hundreds of milliseconds, and so was a new device's first part of rows,
  // which leaves every project short for a moment).
  // (An empty one has nothing to defer; it is not watched either: its tasks may be on their way.)
  const [nearScreen, nearRef] = useNearScreen(p.first, total > 0)
  const near = nearScreen || total === 0
  return p.view === "board" ? (
    <ProjectBoard
      project={project}
      tasks={tasks}
      shown={shown}
      total={total}
      members={p.members}
      viewers={p.viewers}
      session={session}
      readOnly={p.readOnly}
      selectedTask={p.selected}
      onSelect={p.onSelect}
      near={near}
      nearRef={nearRef}
    />
  ) : (
    <ProjectColumn
      project={project}
      tasks={tasks}
      shown={shown}
      total={total}
      countFinal={countFinal}
      session={session}
      readOnly={p.readOnly}
      selectedTask={p.selected}
      onSelect={p.onSelect}
      near={near}
      nearRef={nearRef}
    />
  )
})
