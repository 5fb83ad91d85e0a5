import { addComment, deleteComment, setTaskDescription, updateTask } from "@vibestack/schema"
import { type FormEvent, useEffect, useState } from "react"
import { deviceAuthorId } from "../sync/deviceAuthorId.js"
import type { WorkspaceSession } from "../sync/WorkspaceSession.js"

interface Props {
  readonly taskId: string
  readonly session: WorkspaceSession
  readonly readOnly: boolean
  readonly onClose: () => void
}

/**
 * Details of one task. The description textarea is bound to the task's LoroText: each input
 * applies a minimal diff (`setTaskDescription` → `LoroText.update`), so concurrent edits by
 * others elsewhere in the text survive.
 */
export const TaskPanel = ({ taskId, session, readOnly, onClose }: Props) => {
  const task = session.index.tasks.get(taskId)
  const [comment, setComment] = useState("")
  // The textarea keeps its own value: the document's change event arrives after a microtask,
  // and a controlled value lagging one render would reset the caret on every keystroke.
  const description = task?.description ?? ""
  const [text, setText] = useState(description)
  useEffect(() => setText(description), [description])
  if (task === undefined) return null
  const members = [...session.index.members.values()]
  const comments = session.index.commentsOf(taskId)
  const submitComment = (e: FormEvent) => {
    e.preventDefault()
    const body = comment.trim()
    if (body === "") return
    session.change((d) => addComment(d, { taskId, body, authorId: deviceAuthorId() }))
    setComment("")
  }
  return (
    <aside className="task-panel" aria-label="Task details">
      <header className="row">
        <h2>{task.title}</h2>
        <button type="button" onClick={onClose} aria-label="Close details">
          Close
        </button>
      </header>
      <label htmlFor="task-description">Description</label>
      <textarea
        id="task-description"
        rows={8}
        value={text}
        disabled={readOnly}
        onChange={(e) => {
          const value = e.target.value
          setText(value)
          session.change((d) => setTaskDescription(d, taskId, value))
        }}
      />
      <label htmlFor="task-assignee">Assignee</label>
      <select
        id="task-assignee"
        value={task.assigneeId ?? ""}
        disabled={readOnly}
        onChange={(e) =>
          session.change((d) => updateTask(d, taskId, { assigneeId: e.target.value === "" ? null : e.target.value }))
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
          session.change((d) => updateTask(d, taskId, { dueDate: e.target.value === "" ? null : e.target.value }))
        }
      />
      <h3>Comments</h3>
      <ul className="comments">
        {comments.map((c) => (
          <li key={c.id}>
            <span>{c.body}</span>
            {!readOnly && (
              <button
                type="button"
                aria-label="Delete comment"
                onClick={() => session.change((d) => deleteComment(d, c.id))}
              >
                ✕
              </button>
            )}
          </li>
        ))}
      </ul>
      {!readOnly && (
        <form onSubmit={submitComment}>
          <label htmlFor="new-comment">Add a comment</label>
          <textarea id="new-comment" rows={2} value={comment} onChange={(e) => setComment(e.target.value)} />
          <button type="submit">Comment</button>
        </form>
      )}
    </aside>
  )
}
