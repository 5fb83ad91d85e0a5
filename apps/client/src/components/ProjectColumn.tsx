import type { Project, Task } from "@vibestack/schema"
import { newId } from "@vibestack/schema"
import { memo, useCallback, useRef, useState } from "react"
import { intent } from "../sync/intents.js"
import type { WorkspaceSession } from "../sync/WorkspaceSession.js"
import { RULES } from "../ui/textRules.js"
import { write } from "../ui/write.js"
import { NameInput } from "./NameInput.js"
import { NewItemForm } from "./NewItemForm.js"
import { TaskRow } from "./TaskRow.js"
import { useDeleteWithUndo } from "./UndoContext.js"
import { VirtualTaskList } from "./VirtualTaskList.js"

interface Props {
  readonly project: Project
  /** This project's tasks in order; a new array only when one of them changed (EntityIndex). */
  readonly tasks: ReadonlyArray<Task>
  /** How many tasks the project has: the tab reads a window of a long one (`tasks`). */
  readonly total: number
  readonly session: WorkspaceSession
  readonly readOnly: boolean
  readonly selectedTask: string | undefined
  readonly onSelect: (id: string) => void
}

/** Memoised: a change elsewhere in the workspace does not re-render this column. */
export const ProjectColumn = memo(({ project, tasks, total, session, readOnly, selectedTask, onSelect }: Props) => {
  const [renaming, setRenaming] = useState(false)
  const deleteWithUndo = useDeleteWithUndo(session)
  // The task this column added last: the worker may not have sent it back yet, and the next
  // one added goes after it, not next to it.
  const added = useRef<string | undefined>(undefined)
  const addTask = (title: string) => {
    // Pass the neighbour so the helper does not scan every task for the last sort key (only
    // when every task of the project is read: otherwise the last one read is not the last).
    // (Once nothing is unsaved, a task still missing was refused: back to the last one read.)
    const pending = added.current !== undefined && session.unsaved > 0 && !tasks.some((t) => t.id === added.current)
    const after = pending ? added.current : tasks.length >= total ? tasks.at(-1)?.id : undefined
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
  const loadMore = useCallback((upTo: number) => session.loadMore(project.id, upTo), [session, project.id])
  return (
    <section className="project" aria-labelledby={`project-${project.id}`}>
      <header className="row">
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
          <h2 id={`project-${project.id}`}>{project.name}</h2>
        )}
        <span className="muted">
          {total} {total === 1 ? "task" : "tasks"}
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
      <VirtualTaskList
        label={`Tasks of ${project.name}`}
        tasks={tasks}
        total={total}
        loadMore={loadMore}
        row={(t, i) => (
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
        )}
      />
    </section>
  )
})
