import { createTask, deleteProject, type Project, type Task } from "@vibestack/schema"
import { type FormEvent, memo, useState } from "react"
import type { WorkspaceSession } from "../sync/WorkspaceSession.js"
import { TaskRow } from "./TaskRow.js"

/** Rows rendered at first; more on request, so a 10,000-task workspace paints quickly. */
const PAGE = 50

interface Props {
  readonly project: Project
  /** This project's tasks in order; a new array only when one of them changed (EntityIndex). */
  readonly tasks: ReadonlyArray<Task>
  readonly session: WorkspaceSession
  readonly readOnly: boolean
  readonly selectedTask: string | undefined
  readonly onSelect: (id: string) => void
}

/** Memoised: a change elsewhere in the workspace does not re-render this column. */
export const ProjectColumn = memo(({ project, tasks, session, readOnly, selectedTask, onSelect }: Props) => {
  const [limit, setLimit] = useState(PAGE)
  const [title, setTitle] = useState("")
  const add = (e: FormEvent) => {
    e.preventDefault()
    const t = title.trim()
    if (t === "") return
    // Pass the neighbour so the helper does not scan every task for the last sort key.
    const last = tasks.at(-1)
    session.change((d) =>
      createTask(d, {
        projectId: project.id,
        title: t,
        ...(last !== undefined ? { position: { after: last.id, before: null } } : {}),
      }),
    )
    setTitle("")
  }
  const shown = tasks.slice(0, limit)
  return (
    <section className="project" aria-labelledby={`project-${project.id}`}>
      <header className="row">
        <h2 id={`project-${project.id}`}>{project.name}</h2>
        <span className="muted">{tasks.length} tasks</span>
        {!readOnly && (
          <button
            type="button"
            aria-label={`Delete project ${project.name}`}
            onClick={() => session.change((d) => deleteProject(d, project.id))}
          >
            Delete project
          </button>
        )}
      </header>
      {!readOnly && (
        <form className="row" onSubmit={add}>
          <label htmlFor={`new-task-${project.id}`} className="sr-only">
            New task in {project.name}
          </label>
          <input
            id={`new-task-${project.id}`}
            value={title}
            onChange={(e) => setTitle(e.target.value)}
            placeholder="New task"
          />
          <button type="submit">Add task</button>
        </form>
      )}
      <ul className="tasks" aria-label={`Tasks of ${project.name}`}>
        {shown.map((t, i) => (
          <TaskRow
            key={t.id}
            task={t}
            prevId={tasks[i - 1]?.id}
            prevPrevId={tasks[i - 2]?.id}
            nextId={tasks[i + 1]?.id}
            nextNextId={tasks[i + 2]?.id}
            session={session}
            readOnly={readOnly}
            selected={selectedTask === t.id}
            onSelect={onSelect}
          />
        ))}
      </ul>
      {tasks.length > limit && (
        <button type="button" onClick={() => setLimit(limit + PAGE * 5)}>
          Show more ({tasks.length - limit} hidden)
        </button>
      )}
    </section>
  )
})
