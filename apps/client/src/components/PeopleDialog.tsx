import { useEffect, useRef } from "react"
import type { Identity } from "../people/identity.js"
import { intent } from "../sync/intents.js"
import type { WorkspaceSession } from "../sync/WorkspaceSession.js"
import { nextColor } from "../ui/colors.js"
import { RULES } from "../ui/textRules.js"
import { type WriteResult, write } from "../ui/write.js"
import { NameInput } from "./NameInput.js"
import { NewItemForm } from "./NewItemForm.js"
import { useDeleteWithUndo } from "./UndoContext.js"

/**
 * The workspace's people (members): the names tasks are assigned to. Add, rename, remove;
 * names follow the schema's rules where they are typed. `docVersion` re-renders on changes.
 */
export const PeopleDialog = (p: {
  readonly session: WorkspaceSession
  readonly readOnly: boolean
  readonly docVersion: number
  /** This device's person here, if named. */
  readonly you: Identity | undefined
  readonly onSetName: (name: string) => WriteResult
  readonly onClose: () => void
}) => {
  const { session } = p
  const dialog = useRef<HTMLDialogElement>(null)
  const deleteWithUndo = useDeleteWithUndo(session)
  useEffect(() => dialog.current?.showModal(), [])
  const members = [...session.index.members.values()].sort((a, b) => a.name.localeCompare(b.name))
  return (
    <dialog ref={dialog} className="share-dialog" aria-labelledby="people-title" onClose={p.onClose}>
      <h2 id="people-title">People</h2>
      <div className="row you">
        <NameInput label="Your name" saved={p.you?.name ?? ""} rule={RULES.memberName} onSave={p.onSetName} />
        <span className="muted">Shown on your comments, your changes in the history and to others here now.</span>
      </div>
      {members.length === 0 && <p className="muted">Nobody yet. People added here can be assigned to tasks.</p>}
      <ul className="people">
        {members.map((m) => (
          <li key={m.id} className="row">
            <span className="swatch" style={{ background: m.color }} aria-hidden="true" />
            {m.id === p.you?.memberId && <span className="badge">you</span>}
            <NameInput
              label={`Name of ${m.name}`}
              saved={m.name}
              rule={RULES.memberName}
              disabled={p.readOnly}
              onSave={(name) => write(session, intent("upsertMember", { id: m.id, name, color: m.color }))}
            />
            {!p.readOnly && (
              <button
                type="button"
                aria-label={`Remove ${m.name}`}
                onClick={() => deleteWithUndo(`“${m.name}”`, intent("deleteMember", m.id))}
              >
                Remove
              </button>
            )}
          </li>
        ))}
      </ul>
      {!p.readOnly && (
        <NewItemForm
          className="row new-item"
          label="New person"
          button="Add person"
          rule={RULES.memberName}
          onAdd={(name) => write(session, intent("upsertMember", { name, color: nextColor(members.length) }))}
        />
      )}
      <button type="button" onClick={() => dialog.current?.close()}>
        Close
      </button>
    </dialog>
  )
}
