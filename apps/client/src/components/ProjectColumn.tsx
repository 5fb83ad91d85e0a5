import { createTask, deleteProject, type Project, type Task, updateProject } from "@vibestack/schema"
import { memo, useState } from "react"
import type { WorkspaceSession } from "../sync/WorkspaceSession.js"
import { RULES } from "../ui/textRules.js"
import { write } from "../ui/write.js"
import { NameInput } from "./NameInput.js"
import { NewItemForm } from "./NewItemForm.js"
import { TaskRow } from "./TaskRow.js"
import { useDeleteWithUndo } from "./UndoContext.js"

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
  const [renaming, setRenaming] = useState(false)
  const deleteWithUndo = useDeleteWithUndo(session)
  const addTask = (title: string) => {
    // Pass the neighbour so the helper does not scan every task for the last sort key.
    const last = tasks.at(-1)
    return write(session, (d) =>
      createTask(d, {
        projectId: project.id,
        title,
        ...(last !== undefined ? { position: { after: last.id, before: null } } : {}),
      }),
    )
  }
  const shown = tasks.slice(0, limit)
  return (
    <section className="project" aria-labelledby={`project-${project.id}`}>
      <header className="row">
        {renaming && !readOnly ? (
          <NameInput
            label="Project name"
            saved={project.name}
            rule={RULES.projectName}
            autoFocus
            onSave={(name) => write(session, (d) => updateProject(d, project.id, { name }))}
            onDone={() => setRenaming(false)}
          />
        ) : (
          <h2 id={`project-${project.id}`}>{project.name}</h2>
        )}
        <span className="muted">
          {tasks.length} {tasks.length === 1 ? "task" : "tasks"}
        </span>
        {!readOnly && !renaming && (
          <button type="button" aria-label={`Rename project ${project.name}`} onClick={() => setRenaming(true)}>
            Rename
          </button>
        )}
        {!readOnly && (
          <button
            type="button"
            aria-label={`Delete project ${project.name}`}
            onClick={() => deleteWithUndo(`project “${project.name}”`, (d) => deleteProject(d, project.id))}
          >
            Delete project
          </button>
        )}
      </header>
      {!readOnly && (
        <NewItemForm
          className="row new-item"
          label={`New task in ${project.name}`}
          hideLabel
          placeholder="New task"
          button="Add task"
          rule={RULES.taskTitle}
          onAdd={addTask}
        />
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
