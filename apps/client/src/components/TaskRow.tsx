import { type Task, TaskPriority, TaskStatus } from "@vibestack/schema"
import { memo } from "react"
import { type Intent, intent } from "../sync/intents.js"
import type { WorkspaceSession } from "../sync/WorkspaceSession.js"
import { RULES } from "../ui/textRules.js"
import { write } from "../ui/write.js"
import { Fields } from "./Fields.js"
import { NameInput } from "./NameInput.js"
import { useNotify } from "./Notices.js"
import { useDeleteWithUndo } from "./UndoContext.js"

interface Props {
  readonly task: Task
  readonly prevId: string | undefined
  readonly prevPrevId: string | undefined
  readonly nextId: string | undefined
  readonly nextNextId: string | undefined
  readonly session: WorkspaceSession
  readonly readOnly: boolean
  readonly selected: boolean
  readonly onSelect: (id: string) => void
}

/** A row shows these fields of its task: a change to another (a description typed) leaves it alone. */
const SHOWN = ["id", "title", "status", "priority"] as const

export const sameRow = (a: Props, b: Props): boolean =>
  (Object.keys(a) as Array<keyof Props>).every((k) =>
    k === "task" ? SHOWN.every((f) => a.task[f] === b.task[f]) : a[k] === b[k],
  )

/**
 * One task. Memoised on the fields it shows (the entity index keeps unchanged tasks' identity),
 * so a keystroke re-renders at most the row it touches, and none while typing a description. The title is edited locally
 * and committed on Enter or blur (one change record per edit, not one per key); a title the
 * schema refuses stays in the field with the reason (NameInput).
 */
export const TaskRow = memo((p: Props) => {
  const { task, session, readOnly } = p
  const notify = useNotify()
  const deleteWithUndo = useDeleteWithUndo(session)
  const change = (fn: Intent) => {
    const r = write(session, fn)
    if (!r.ok) notify({ tone: "error", text: r.message })
  }
  const move = (after: string | null, before: string | null) => change(intent("moveTask", task.id, { after, before }))
  return (
    <li className={p.selected ? "task selected" : "task"} data-task-id={task.id}>
      <NameInput
        className="task-title"
        label="Task title"
        saved={task.title}
        rule={RULES.taskTitle}
        disabled={readOnly}
        onSave={(title) => write(session, intent("updateTask", task.id, { title }))}
      />
      <Fields>
        <select
          aria-label="Status"
          value={task.status}
          disabled={readOnly}
          onChange={(e) => change(intent("updateTask", task.id, { status: e.target.value as TaskStatus }))}
        >
          {TaskStatus.literals.map((s) => (
            <option key={s} value={s}>
              {s.replace("_", " ")}
            </option>
          ))}
        </select>
        <select
          aria-label="Priority"
          value={task.priority}
          disabled={readOnly}
          onChange={(e) => change(intent("updateTask", task.id, { priority: e.target.value as TaskPriority }))}
        >
          {TaskPriority.literals.map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </select>
        <button
          type="button"
          aria-label="Move up"
          disabled={readOnly || p.prevId === undefined}
          onClick={() => move(p.prevPrevId ?? null, p.prevId ?? null)}
        >
          ↑
        </button>
        <button
          type="button"
          aria-label="Move down"
          disabled={readOnly || p.nextId === undefined}
          onClick={() => move(p.nextId ?? null, p.nextNextId ?? null)}
        >
          ↓
        </button>
        <button type="button" onClick={() => p.onSelect(task.id)} aria-pressed={p.selected}>
          Details
        </button>
        <button
          type="button"
          aria-label="Delete task"
          disabled={readOnly}
          onClick={() => deleteWithUndo(`task “${task.title}”`, intent("deleteTask", task.id))}
        >
          ✕
        </button>
      </Fields>
    </li>
  )
}, sameRow)
