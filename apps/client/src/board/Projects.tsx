import type { Member, Project, Task } from "@vibestack/schema"
import { useMemo } from "react"
import { ProjectColumn } from "../components/ProjectColumn.js"
import type { WorkspaceSession } from "../sync/WorkspaceSession.js"
import { ProjectBoard } from "./ProjectBoard.js"
import type { Viewers } from "./StatusColumn.js"
import { filterTasks, type TaskFilter } from "./taskFilter.js"
import type { BoardViewKind } from "./ViewSwitch.js"

/** Every project, as lists or boards, through the filter (memoised per project's task array). */
export const Projects = (p: {
  readonly view: BoardViewKind
  readonly viewers: Viewers
  readonly session: WorkspaceSession
  readonly filter: TaskFilter
  readonly members: ReadonlyMap<string, Member>
  readonly readOnly: boolean
  readonly selected: string | undefined
  readonly onSelect: (id: string) => void
}) => (
  <div className={p.view === "board" ? "projects boards" : "projects"}>
    {p.session.index.projectList().map((project) => (
      <FilteredProject key={project.id} {...p} project={project} tasks={p.session.index.tasksOf(project.id)} />
    ))}
  </div>
)

const FilteredProject = (
  p: Parameters<typeof Projects>[0] & { readonly project: Project; readonly tasks: ReadonlyArray<Task> },
) => {
  const shown = useMemo(() => filterTasks(p.tasks, p.filter), [p.tasks, p.filter])
  return p.view === "board" ? (
    <ProjectBoard
      project={p.project}
      tasks={p.tasks}
      shown={shown}
      total={p.session.taskCount(p.project.id)}
      members={p.members}
      viewers={p.viewers}
      session={p.session}
      readOnly={p.readOnly}
      selectedTask={p.selected}
      onSelect={p.onSelect}
    />
  ) : (
    <ProjectColumn
      project={p.project}
      tasks={p.tasks}
      shown={shown}
      total={p.session.taskCount(p.project.id)}
      session={p.session}
      readOnly={p.readOnly}
      selectedTask={p.selected}
      onSelect={p.onSelect}
    />
  )
}
