import type { Project, Task } from "@vibestack/schema"
import { memo, useCallback } from "react"
import type { WorkspaceSession } from "../sync/WorkspaceSession.js"
import { ProjectHeader } from "./ProjectHeader.js"
import { TaskRow } from "./TaskRow.js"
import { RowsPlaceholder, VirtualTaskList } from "./VirtualTaskList.js"

interface Props {
  readonly project: Project
  /** This project's tasks read so far, in order; a new array only when one of them changed (EntityIndex). */
  readonly tasks: ReadonlyArray<Task>
  /** The ones the filter lets through (the same array when nothing filters). */
  readonly shown: ReadonlyArray<Task>
  /** How many tasks the project has: the tab reads a window of a long one (`tasks`). */
  readonly total: number
  /** `total` is the document's count, not the rows stored so far (`VirtualTaskList.final`). */
  readonly countFinal: boolean
  readonly session: WorkspaceSession
  readonly readOnly: boolean
  readonly selectedTask: string | undefined
  readonly onSelect: (id: string) => void
  /** Near the screen: rows render (a long project far below shows its header and a placeholder). */
  readonly near: boolean
  readonly nearRef: (el: Element | null) => void
}

/** The list view of one project. Memoised: a change elsewhere in the workspace does not re-render it. */
export const ProjectColumn = memo(
  ({ project, tasks, shown, total, countFinal, session, readOnly, selectedTask, onSelect, near, nearRef }: Props) => {
    const loadMore = useCallback((upTo: number) => session.loadMore(project.id, upTo), [session, project.id])
    // A filter picks among the tasks read so far: the list is exactly those (no rows to read beyond).
    const filtered = shown !== tasks
    return (
      <section ref={nearRef} className="project" aria-labelledby={`project-${project.id}`}>
        <ProjectHeader
          project={project}
          tasks={tasks}
          total={total}
          shown={filtered ? shown.length : total}
          session={session}
          readOnly={readOnly}
        />
        {!near ? (
          <RowsPlaceholder rows={filtered ? shown.length : total} />
        ) : (
          <VirtualTaskList
            label={`Tasks of ${project.name}`}
            tasks={shown}
            total={filtered ? shown.length : total}
            final={countFinal}
            loadMore={loadMore}
            row={(t, i) => (
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
            )}
          />
        )}
      </section>
    )
  },
)
