import {
  type Comment,
  type Member,
  TaskPriority as Priorities,
  type TaskPriority,
  type TaskStatus,
} from "@vibestack/schema"
import { memo, type ReactNode, useEffect, useId, useRef, useState } from "react"
import { STATUSES, statusLabel } from "../board/boardMoves.js"
import { Avatar } from "../board/TaskCard.js"
import { useFieldValue } from "../hooks/useFieldValue.js"
import { useNow } from "../hooks/useNow.js"
import { exactTime, relativeTime } from "../people/relativeTime.js"
import { useMembers } from "../people/useMembers.js"
import { deviceAuthorId } from "../sync/deviceAuthorId.js"
import { type Intent, intent } from "../sync/intents.js"
import type { WorkspaceSession } from "../sync/WorkspaceSession.js"
import { checkText, RULES } from "../ui/textRules.js"
import { write } from "../ui/write.js"
import { FieldHint } from "./FieldHint.js"
import { Fields } from "./Fields.js"
import { NameInput } from "./NameInput.js"
import { NewItemForm } from "./NewItemForm.js"
import { useNotify } from "./Notices.js"
import { type RemoteCaret, RemoteCarets } from "./RemoteCarets.js"
import { useDeleteWithUndo, useUndoHistoryOf } from "./UndoContext.js"

interface Props {
  readonly taskId: string
  readonly session: WorkspaceSession
  readonly readOnly: boolean
  /** This device's person here (comment author), if named. */
  readonly authorId: string | undefined
  /** Who else has this task open, and whether they are typing in its description (presence). */
  readonly others?: ReactNode
  /** Tells presence this device is typing in the description (focus and blur). */
  readonly onTyping?: (typing: boolean) => void
  /** Others' carets in the description (presence), and where this device's caret moved to. */
  readonly carets?: ReadonlyArray<RemoteCaret>
  readonly onCaret?: (offset: number) => void
  /** Status and priority here too (the board's cards have no fields; the list's rows do). */
  readonly showFields?: boolean
  readonly onClose: () => void
}

/**
 * Details of one task. The description textarea is bound to the task's LoroText: each input
 * applies a minimal diff (`setTaskDescription` → `LoroText.update`), so concurrent edits by
 * others elsewhere in the text survive. An input that would take it over the limit (a large
 * paste) is refused with the reason and the field keeps the saved text: it is never shown as
 * saved. While the field has focus its keystrokes are one undo step.
 */
export const TaskPanel = ({
  taskId,
  session,
  readOnly,
  authorId,
  others,
  onTyping,
  carets,
  onCaret,
  showFields,
  onClose,
}: Props) => {
  const now = useNow(30_000)
  const task = session.index.tasks.get(taskId)
  const notify = useNotify()
  const history = useUndoHistoryOf()
  const deleteWithUndo = useDeleteWithUndo(session)
  const people = useMembers(session)
  // A panel closed while the description has focus gets no blur: end its undo step here.
  useEffect(() => () => history?.typingEnd(), [history])
  if (task === undefined) return null
  const members = [...session.index.members.values()]
  const comments = session.index.commentsOf(taskId)
  const change = (fn: Intent) => {
    const r = write(session, fn)
    if (!r.ok) notify({ tone: "error", text: r.message })
  }
  return (
    <aside className="task-panel" aria-label="Task details">
      <header className="row">
        <h2>{task.title}</h2>
        <button type="button" onClick={onClose} aria-label="Close details">
          Close
        </button>
      </header>
      {others}
      <NameInput
        className="panel-title"
        label="Title"
        saved={task.title}
        rule={RULES.taskTitle}
        disabled={readOnly}
        onSave={(title) => write(session, intent("updateTask", taskId, { title }))}
      />
      <Fields>
        {showFields === true && (
          <div className="row panel-fields">
            <label>
              Status{" "}
              <select
                value={task.status}
                disabled={readOnly}
                onChange={(e) => change(intent("updateTask", taskId, { status: e.target.value as TaskStatus }))}
              >
                {STATUSES.map((x) => (
                  <option key={x} value={x}>
                    {statusLabel(x)}
                  </option>
                ))}
              </select>
            </label>
            <label>
              Priority{" "}
              <select
                value={task.priority}
                disabled={readOnly}
                onChange={(e) => change(intent("updateTask", taskId, { priority: e.target.value as TaskPriority }))}
              >
                {Priorities.literals.map((x) => (
                  <option key={x} value={x}>
                    {x}
                  </option>
                ))}
              </select>
            </label>
          </div>
        )}
        <DescriptionField
          session={session}
          taskId={taskId}
          saved={task.description}
          readOnly={readOnly}
          onTyping={onTyping}
          carets={carets}
          onCaret={onCaret}
        />
        <label htmlFor="task-assignee">Assignee</label>
        <select
          id="task-assignee"
          value={task.assigneeId ?? ""}
          disabled={readOnly}
          onChange={(e) =>
            change(intent("updateTask", taskId, { assigneeId: e.target.value === "" ? null : e.target.value }))
          }
        >
          <option value="">Unassigned</option>
          {members.map((m) => (
            <option key={m.id} value={m.id}>
              {m.name}
            </option>
          ))}
        </select>
        <label htmlFor="task-due">Due date</label>
        <input
          id="task-due"
          type="date"
          value={task.dueDate ?? ""}
          disabled={readOnly}
          onChange={(e) =>
            change(intent("updateTask", taskId, { dueDate: e.target.value === "" ? null : e.target.value }))
          }
        />
      </Fields>
      <h3>Comments</h3>
      <Comments comments={comments} people={people} now={now} readOnly={readOnly} onDelete={deleteWithUndo} />
      {!readOnly && (
        <NewItemForm
          className="new-item stacked"
          label="Add a comment"
          button="Comment"
          multiline
          rule={RULES.comment}
          onAdd={(body) =>
            write(session, intent("addComment", { taskId, body, authorId: authorId ?? deviceAuthorId() }))
          }
        />
      )}
    </aside>
  )
}

/** The task's comments: memoised, so a keystroke in the description does not format every date again. */
const Comments = memo(
  ({
    comments,
    people,
    now,
    readOnly,
    onDelete,
  }: {
    readonly comments: ReadonlyArray<Comment>
    readonly people: ReadonlyMap<string, Member>
    readonly now: number
    readonly readOnly: boolean
    readonly onDelete: (what: string, fn: Intent) => void
  }) => (
    <ul className="comments">
      {comments.map((c) => {
        const author = people.get(c.authorId)
        return (
          <li key={c.id}>
            <div className="comment-head">
              {author !== undefined && <Avatar member={author} />}
              <strong>{author?.name ?? "Someone"}</strong>
              <time dateTime={new Date(c.createdAt).toISOString()} title={exactTime(c.createdAt)}>
                {relativeTime(c.createdAt, now)}
              </time>
            </div>
            <p className="comment-body">{c.body}</p>
            {!readOnly && (
              <button
                type="button"
                aria-label="Delete comment"
                onClick={() => onDelete("comment", intent("deleteComment", c.id))}
              >
                ✕
              </button>
            )}
          </li>
        )
      })}
    </ul>
  ),
)

/**
 * The description field, its own component: a keystroke re-renders it alone, not the whole
 * panel (every select and input of it, and its comments). The textarea keeps its own value: the
 * document's change event arrives after a microtask, and a controlled value lagging one render
 * would reset the caret on every keystroke.
 */
const DescriptionField = memo(
  ({
    session,
    taskId,
    saved,
    readOnly,
    onTyping,
    carets,
    onCaret,
  }: {
    readonly session: WorkspaceSession
    readonly taskId: string
    readonly saved: string
    readonly readOnly: boolean
    readonly onTyping?: ((typing: boolean) => void) | undefined
    readonly carets?: ReadonlyArray<RemoteCaret> | undefined
    readonly onCaret?: ((offset: number) => void) | undefined
  }) => {
    const history = useUndoHistoryOf()
    const hint = useId()
    const field = useRef<HTMLTextAreaElement>(null)
    // Another device's edit replaces the field's text (never through an effect: useFieldValue).
    const [text, setText] = useFieldValue(saved)
    const [error, setError] = useState<string | undefined>(undefined)
    const editDescription = (value: string) => {
      const checked = checkText(RULES.description, value)
      // Not calling setText: React puts the saved text back into the field.
      if (!checked.ok) return setError(`${checked.reason} The description keeps its saved text.`)
      const r = write(session, intent("setTaskDescription", taskId, value))
      if (!r.ok) return setError(r.message)
      setText(value)
      setError(undefined)
    }
    return (
      <>
        <label htmlFor="task-description">Description</label>
        <div className="caret-host">
          <textarea
            ref={field}
            id="task-description"
            rows={8}
            value={text}
            disabled={readOnly}
            aria-invalid={error !== undefined}
            aria-describedby={hint}
            onFocus={() => {
              history?.typingStart()
              onTyping?.(true)
            }}
            onBlur={() => {
              history?.typingEnd()
              onTyping?.(false)
            }}
            onChange={(e) => editDescription(e.target.value)}
            onSelect={(e) => onCaret?.(e.currentTarget.selectionStart)}
          />
          <RemoteCarets field={field} text={text} carets={carets ?? []} />
        </div>
        <FieldHint id={hint} rule={RULES.description} length={text.length} error={error} />
      </>
    )
  },
)
