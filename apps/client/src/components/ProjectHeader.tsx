import { newId, type Project, type Task } from "@vibestack/schema"
import { useRef, useState } from "react"
import { intent } from "../sync/intents.js"
import type { WorkspaceSession } from "../sync/WorkspaceSession.js"
import { RULES } from "../ui/textRules.js"
import { write } from "../ui/write.js"
import { NameInput } from "./NameInput.js"
import { NewItemForm } from "./NewItemForm.js"
import { useDeleteWithUndo } from "./UndoContext.js"

/** A project's name (renamable), task count, delete, and the new-task field: shared by the list and the board. */
export const ProjectHeader = (p: {
  readonly project: Project
  /** The project's tasks read so far, in order (not the filtered ones: a new task goes last). */
  readonly tasks: ReadonlyArray<Task>
  /** How many it has (a long project is read a window at a time), and how many the filter shows. */
  readonly total: number
  readonly shown: number
  readonly session: WorkspaceSession
  readonly readOnly: boolean
}) => {
  const { project, tasks, session, readOnly } = p
  const [renaming, setRenaming] = useState(false)
  const deleteWithUndo = useDeleteWithUndo(session)
  // The task this project added last: the worker may not have sent it back yet, and the next
  // one added goes after it, not next to it.
  const added = useRef<string | undefined>(undefined)
  const addTask = (title: string) => {
    // Pass the neighbour so the helper does not scan every task for the last sort key (only
    // when every task of the project is read: otherwise the last one read is not the last).
    // (Once nothing is unsaved, a task still missing was refused: back to the last one read.)
    const pending = added.current !== undefined && session.unsaved > 0 && !tasks.some((t) => t.id === added.current)
    const after = pending ? added.current : tasks.length >= p.total ? tasks.at(-1)?.id : undefined
    const id = newId<string>()
    added.current = id
    return write(
      session,
      intent("createTask", {
        id,
        projectId: project.id,
        title,
        ...(after !== undefined ? { position: { after, before: null } } : {}),
      }),
    )
  }
  const count = `${p.total} ${p.total === 1 ? "task" : "tasks"}`
  return (
    <>
      <header className="row project-header">
        {renaming && !readOnly ? (
          <NameInput
            label="Project name"
            saved={project.name}
            rule={RULES.projectName}
            autoFocus
            onSave={(name) => write(session, intent("updateProject", project.id, { name }))}
            onDone={() => setRenaming(false)}
          />
        ) : (
          <h2 id={`project-${project.id}`}>
            <span className="swatch" style={{ background: project.color }} aria-hidden="true" />
            {project.name}
          </h2>
        )}
        <span className="muted">{p.shown === p.total ? count : `${p.shown} of ${count} shown`}</span>
        {!readOnly && !renaming && (
          <button type="button" aria-label={`Rename project ${project.name}`} onClick={() => setRenaming(true)}>
            Rename
          </button>
        )}
        {!readOnly && (
          <button
            type="button"
            aria-label={`Delete project ${project.name}`}
            onClick={() => deleteWithUndo(`project “${project.name}”`, intent("deleteProject", project.id))}
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
