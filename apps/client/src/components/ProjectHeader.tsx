import { createTask, deleteProject, type Project, type Task, updateProject } from "@vibestack/schema"
import { useState } from "react"
import type { WorkspaceSession } from "../sync/WorkspaceSession.js"
import { RULES } from "../ui/textRules.js"
import { write } from "../ui/write.js"
import { NameInput } from "./NameInput.js"
import { NewItemForm } from "./NewItemForm.js"
import { useDeleteWithUndo } from "./UndoContext.js"

/** A project's name (renamable), task count, delete, and the new-task field: shared by the list and the board. */
export const ProjectHeader = (p: {
  readonly project: Project
  /** All of the project's tasks in order (not the filtered ones: a new task goes last). */
  readonly tasks: ReadonlyArray<Task>
  readonly shown: number
  readonly session: WorkspaceSession
  readonly readOnly: boolean
}) => {
  const { project, tasks, session, readOnly } = p
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
  const count = `${tasks.length} ${tasks.length === 1 ? "task" : "tasks"}`
  return (
    <>
      <header className="row project-header">
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
          <h2 id={`project-${project.id}`}>
            <span className="swatch" style={{ background: project.color }} aria-hidden="true" />
            {project.name}
          </h2>
        )}
        <span className="muted">{p.shown === tasks.length ? count : `${p.shown} of ${count} shown`}</span>
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
    </>
  )
}
