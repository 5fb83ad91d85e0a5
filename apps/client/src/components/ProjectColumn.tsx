import type { Project, Task } from "@vibestack/schema"
import { memo, useState } from "react"
import type { WorkspaceSession } from "../sync/WorkspaceSession.js"
import { ProjectHeader } from "./ProjectHeader.js"
import { TaskRow } from "./TaskRow.js"

/** Rows rendered at first; more on request, so a 10,000-task workspace paints quickly. */
const PAGE = 50

interface Props {
  readonly project: Project
  /** This project's tasks in order; a new array only when one of them changed (EntityIndex). */
  readonly tasks: ReadonlyArray<Task>
  /** The ones the filter lets through (the same array when nothing filters). */
  readonly shown: ReadonlyArray<Task>
  readonly session: WorkspaceSession
  readonly readOnly: boolean
  readonly selectedTask: string | undefined
  readonly onSelect: (id: string) => void
}

/** The list view of one project. Memoised: a change elsewhere in the workspace does not re-render it. */
export const ProjectColumn = memo(({ project, tasks, shown, session, readOnly, selectedTask, onSelect }: Props) => {
  const [limit, setLimit] = useState(PAGE)
  const rows = shown.slice(0, limit)
  return (
    <section className="project" aria-labelledby={`project-${project.id}`}>
      <ProjectHeader project={project} tasks={tasks} shown={shown.length} session={session} readOnly={readOnly} />
      <ul className="tasks" aria-label={`Tasks of ${project.name}`}>
        {rows.map((t, i) => (
          <TaskRow
            key={t.id}
            task={t}
            prevId={shown[i - 1]?.id}
            prevPrevId={shown[i - 2]?.id}
            nextId={shown[i + 1]?.id}
            nextNextId={shown[i + 2]?.id}
            session={session}
            readOnly={readOnly}
            selected={selectedTask === t.id}
            onSelect={onSelect}
          />
        ))}
      </ul>
      {shown.length > limit && (
        <button type="button" onClick={() => setLimit(limit + PAGE * 5)}>
          Show more ({shown.length - limit} hidden)
        </button>
      )}
    </section>
  )
})
