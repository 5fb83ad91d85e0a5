import { useSortable } from "@dnd-kit/sortable"
import { CSS } from "@dnd-kit/utilities"
import type { Member, Task, TaskStatus } from "@vibestack/schema"
import { type KeyboardEvent, memo } from "react"
import { intlLater } from "../ui/intl.js"
import type { Direction } from "./boardMoves.js"

const ARROWS: Record<string, Direction> = { ArrowUp: "up", ArrowDown: "down", ArrowLeft: "left", ArrowRight: "right" }

export const initials = (name: string): string =>
  name
    .split(/\s+/)
    .filter((w) => w !== "")
    .slice(0, 2)
    .map((w) => w[0]!.toUpperCase())
    .join("")

/** A person's round badge: initials on their colour, the name for screen readers and on hover. */
export const Avatar = ({ member, label }: { readonly member: Member; readonly label?: string }) => (
  <span className="avatar" style={{ background: member.color }} title={label ?? member.name}>
    <span aria-hidden="true">{initials(member.name)}</span>
    <span className="sr-only">{label ?? member.name}</span>
  </span>
)

const dueFormat = intlLater(() => new Intl.DateTimeFormat(undefined, { month: "short", day: "numeric" }))
const dueLabel = (iso: string): string => dueFormat().format(new Date(`${iso}T00:00:00`))

interface Props {
  readonly task: Task
  readonly status: TaskStatus
  readonly assignee: Member | undefined
  /** People who have this task open right now (presence). */
  readonly viewers?:
    | ReadonlyArray<{ readonly key: string; readonly member: Member; readonly typing: boolean }>
    | undefined
  readonly readOnly: boolean
  readonly selected: boolean
  readonly onSelect: (id: string) => void
  readonly onStep: (id: string, dir: Direction) => void
}

/**
 * One card: drag handle (pointer, or the keyboard: Space to lift, arrows, Space to drop), the
 * title (opens the details; Alt+arrows move the card one step, the other keyboard way), and
 * priority, due date and assignee. Memoised on the task object (EntityIndex keeps identity).
 */
export const TaskCard = memo((p: Props) => {
  const { task } = p
  const sortable = useSortable({
    id: task.id,
    data: { status: p.status, cardId: task.id },
    disabled: p.readOnly,
  })
  const onKey = (e: KeyboardEvent) => {
    const dir = ARROWS[e.key]
    if (!e.altKey || dir === undefined || p.readOnly) return
    e.preventDefault()
    p.onStep(task.id, dir)
  }
  const style = { transform: CSS.Translate.toString(sortable.transform), transition: sortable.transition }
  return (
    <li
      ref={sortable.setNodeRef}
      style={style}
      className={`card${p.selected ? " selected" : ""}${sortable.isDragging ? " dragging" : ""}`}
      data-task-id={task.id}
    >
      {!p.readOnly && (
        <button
          type="button"
          className="card-handle"
          ref={sortable.setActivatorNodeRef}
          {...sortable.attributes}
          {...sortable.listeners}
          aria-label={`Move ${task.title}`}
        >
          <span aria-hidden="true">⠿</span>
        </button>
      )}
      <button
        type="button"
        className="card-title"
        aria-pressed={p.selected}
        aria-keyshortcuts={p.readOnly ? undefined : "Alt+ArrowUp Alt+ArrowDown Alt+ArrowLeft Alt+ArrowRight"}
        onClick={() => p.onSelect(task.id)}
        onKeyDown={onKey}
      >
        {task.title}
      </button>
      <div className="card-meta">
        {task.priority !== "none" && <span className={`badge priority-${task.priority}`}>{task.priority}</span>}
        {task.dueDate !== undefined && (
          <time className="badge" dateTime={task.dueDate} title={`Due ${task.dueDate}`}>
            Due {dueLabel(task.dueDate)}
          </time>
        )}
        <span className="card-people">
          {p.viewers?.map((v) => (
            <span
              key={v.key}
              className={`presence-dot${v.typing ? " typing" : ""}`}
              style={{ borderColor: v.member.color }}
            >
              <Avatar member={v.member} label={`${v.member.name} ${v.typing ? "is typing here" : "has this open"}`} />
            </span>
          ))}
          {p.assignee !== undefined && <Avatar member={p.assignee} label={`Assigned to ${p.assignee.name}`} />}
        </span>
      </div>
    </li>
  )
})
