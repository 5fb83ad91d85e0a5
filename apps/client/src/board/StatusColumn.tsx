import { useDroppable } from "@dnd-kit/core"
import { SortableContext, verticalListSortingStrategy } from "@dnd-kit/sortable"
import type { Member, Task, TaskStatus } from "@vibestack/schema"
import { memo, useState } from "react"
import { type Direction, statusLabel } from "./boardMoves.js"
import { TaskCard } from "./TaskCard.js"

/** Cards rendered at first per column; more on request (a 10,000-task project paints quickly). */
const PAGE = 50

export type Viewers = ReadonlyMap<string, ReadonlyArray<{ key: string; member: Member; typing: boolean }>>

interface Props {
  readonly projectId: string
  readonly status: TaskStatus
  readonly tasks: ReadonlyArray<Task>
  readonly members: ReadonlyMap<string, Member>
  readonly viewers: Viewers
  readonly readOnly: boolean
  readonly selectedTask: string | undefined
  readonly onSelect: (id: string) => void
  readonly onStep: (id: string, dir: Direction) => void
}

/** One status column: a drop target (its empty space puts a card last) holding sortable cards. */
export const StatusColumn = memo((p: Props) => {
  const [limit, setLimit] = useState(PAGE)
  const drop = useDroppable({ id: `column:${p.projectId}:${p.status}`, data: { status: p.status } })
  const shown = p.tasks.slice(0, limit)
  const heading = `${p.projectId}-${p.status}`
  return (
    <section
      ref={drop.setNodeRef}
      className={`column${drop.isOver ? " over" : ""}`}
      aria-labelledby={heading}
      data-status={p.status}
    >
      <h3 id={heading}>
        {statusLabel(p.status)} <span className="count">{p.tasks.length}</span>
      </h3>
      <SortableContext items={shown.map((t) => t.id)} strategy={verticalListSortingStrategy}>
        <ul className="cards" aria-label={`${statusLabel(p.status)} cards`}>
          {shown.map((t) => (
            <TaskCard
              key={t.id}
              task={t}
              status={p.status}
              assignee={t.assigneeId === undefined ? undefined : p.members.get(t.assigneeId)}
              viewers={p.viewers.get(t.id)}
              readOnly={p.readOnly}
              selected={p.selectedTask === t.id}
              onSelect={p.onSelect}
              onStep={p.onStep}
            />
          ))}
        </ul>
      </SortableContext>
      {p.tasks.length > limit && (
        <button type="button" className="show-more" onClick={() => setLimit(limit + PAGE * 5)}>
          Show more ({p.tasks.length - limit} hidden)
        </button>
      )}
    </section>
  )
})
