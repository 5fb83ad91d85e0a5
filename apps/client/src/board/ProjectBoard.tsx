import {
  type Announcements,
  closestCorners,
  DndContext,
  type DragEndEvent,
  DragOverlay,
  type DragStartEvent,
  KeyboardSensor,
  PointerSensor,
  useSensor,
  useSensors,
} from "@dnd-kit/core"
import { sortableKeyboardCoordinates } from "@dnd-kit/sortable"
import type { Member, Project, Task, TaskStatus } from "@vibestack/schema"
import { memo, useCallback, useMemo, useState } from "react"
import { createPortal } from "react-dom"
import { useNotify } from "../components/Notices.js"
import { ProjectHeader } from "../components/ProjectHeader.js"
import { RowsPlaceholder } from "../components/VirtualTaskList.js"
import { intent } from "../sync/intents.js"
import type { WorkspaceSession } from "../sync/WorkspaceSession.js"
import { write } from "../ui/write.js"
import {
  columnsOf,
  type Direction,
  dropPlacement,
  type Placement,
  STATUSES,
  statusLabel,
  stepPlacement,
} from "./boardMoves.js"
import { StatusColumn, type Viewers } from "./StatusColumn.js"

interface Props {
  readonly project: Project
  readonly tasks: ReadonlyArray<Task>
  readonly shown: ReadonlyArray<Task>
  /** How many tasks the project has (a long one is read a window at a time). */
  readonly total: number
  readonly members: ReadonlyMap<string, Member>
  readonly viewers: Viewers
  readonly session: WorkspaceSession
  readonly readOnly: boolean
  readonly selectedTask: string | undefined
  readonly onSelect: (id: string) => void
  /** Near the screen: cards render (a long project far below shows its header and a placeholder). */
  readonly near: boolean
  readonly nearRef: (el: Element | null) => void
}

type DropData = { readonly status: TaskStatus; readonly cardId?: string }

/**
 * One project as a board: a column per status. A drop (pointer or keyboard drag, dnd-kit) or
 * an Alt+arrow step becomes one change: the status if it changed, and a sort key between the
 * two neighbouring shown cards (`moveTask`), so every device sees the same order. Concurrent
 * moves of one card: last writer wins per field, every device converges.
 */
export const ProjectBoard = memo((p: Props) => {
  const { session } = p
  const notify = useNotify()
  const columns = useMemo(() => columnsOf(p.shown), [p.shown])
  const [active, setActive] = useState<string | undefined>(undefined)
  const sensors = useSensors(
    useSensor(PointerSensor, { activationConstraint: { distance: 5 } }),
    useSensor(KeyboardSensor, { coordinateGetter: sortableKeyboardCoordinates }),
  )
  const title = (id: unknown) => session.index.tasks.get(String(id))?.title ?? "task"

  const place = useCallback(
    (id: string, to: Placement) => {
      const r = write(session, intent("placeTask", id, { status: to.status, after: to.after, before: to.before }))
      if (!r.ok) notify({ tone: "error", text: r.message })
    },
    [session, notify],
  )
  const onStep = useCallback(
    (id: string, dir: Direction) => {
      const to = stepPlacement(columns, id, dir)
      if (to !== undefined) place(id, to)
    },
    [columns, place],
  )
  const onDragStart = (e: DragStartEvent) => setActive(String(e.active.id))
  const onDragEnd = (e: DragEndEvent) => {
    setActive(undefined)
    const over = e.over?.data.current as DropData | undefined
    if (over === undefined) return
    const to = dropPlacement(columns, String(e.active.id), over)
    if (to !== undefined) place(String(e.active.id), to)
  }
  const where = (over: { data: { current?: unknown } } | null) => {
    const d = over?.data.current as DropData | undefined
    return d === undefined
      ? "nowhere"
      : d.cardId
        ? `${statusLabel(d.status)}, at ${title(d.cardId)}`
        : statusLabel(d.status)
  }
  // Screen readers hear titles and columns, not ids.
  const announcements: Announcements = {
    onDragStart: ({ active }) => `Picked up ${title(active.id)}. Arrow keys move it, Space drops it, Escape cancels.`,
    onDragOver: ({ active, over }) => `${title(active.id)} is over ${where(over)}.`,
    onDragEnd: ({ active, over }) => `${title(active.id)} dropped in ${where(over)}.`,
    onDragCancel: ({ active }) => `Moving ${title(active.id)} was cancelled.`,
  }
  const activeTask = active === undefined ? undefined : session.index.tasks.get(active)
  return (
    <section ref={p.nearRef} className="project board-project" aria-labelledby={`project-${p.project.id}`}>
      <ProjectHeader
        project={p.project}
        tasks={p.tasks}
        total={p.total}
        shown={p.shown === p.tasks ? p.total : p.shown.length}
        session={session}
        readOnly={p.readOnly}
      />
      {!p.near ? (
        <RowsPlaceholder />
      ) : (
        <DndContext
          sensors={sensors}
          collisionDetection={closestCorners}
          accessibility={{
            announcements,
            screenReaderInstructions: {
              draggable:
                "Press Space to lift this card, arrow keys to move it, Space again to drop it, Escape to cancel. Or Alt plus an arrow key on the card's title.",
            },
          }}
          onDragStart={onDragStart}
          onDragCancel={() => setActive(undefined)}
          onDragEnd={onDragEnd}
        >
          <div className="columns">
            {STATUSES.map((s) => (
              <StatusColumn
                key={s}
                projectId={p.project.id}
                status={s}
                tasks={columns.get(s)!}
                members={p.members}
                viewers={p.viewers}
                readOnly={p.readOnly}
                selectedTask={p.selectedTask}
                onSelect={p.onSelect}
                onStep={onStep}
              />
            ))}
          </div>
          {/* In the body: the board contains its own paint (styles.css), which would make it the
              box this fixed-position overlay is placed in. */}
          {createPortal(
            <DragOverlay dropAnimation={null}>
              {activeTask !== undefined && <div className="card drag-preview">{activeTask.title}</div>}
            </DragOverlay>,
            document.body,
          )}
        </DndContext>
      )}
    </section>
  )
})
