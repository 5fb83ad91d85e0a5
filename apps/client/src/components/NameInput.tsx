import { useId, useState } from "react"
import { useFieldValue } from "../hooks/useFieldValue.js"
import { checkText, type TextRule } from "../ui/textRules.js"
import type { WriteResult } from "../ui/write.js"
import { FieldHint } from "./FieldHint.js"

interface Props {
  readonly label: string
  readonly saved: string
  readonly rule: TextRule
  readonly onSave: (value: string) => WriteResult
  readonly className?: string
  readonly disabled?: boolean
  readonly autoFocus?: boolean
  /** Called after a save (or no change) on Enter or blur, and on Escape. */
  readonly onDone?: () => void
}

/**
 * A name edited in place and saved on Enter or blur (one change per edit, not one per key).
 * A value the schema refuses stays in the field, marked invalid with the reason, and nothing
 * is written: it is never shown as saved. Escape goes back to the saved value.
 */
export const NameInput = (p: Props) => {
  const [error, setError] = useState<string | undefined>(undefined)
  // A rename from another device or an undo replaces the draft, and its error goes.
  const [draft, setDraft] = useFieldValue(p.saved, () => setError(undefined))
  const hint = useId()
  const commit = () => {
    // Nothing typed into a field that was empty (tabbing through "Your name"): nothing to say.
    if (draft.trim() === "" && p.saved === "") return p.onDone?.()
    const checked = checkText(p.rule, draft)
    if (!checked.ok) return setError(checked.reason)
    if (checked.value !== p.saved) {
      const r = p.onSave(checked.value)
      if (!r.ok) return setError(r.message)
    }
    setDraft(checked.value)
    setError(undefined)
    p.onDone?.()
  }
  // Its own form (see Fields): Enter saves through the key handler, never a submit.
  return (
    <form className="name-field" onSubmit={(e) => e.preventDefault()}>
      <input
        className={p.className}
        aria-label={p.label}
        aria-invalid={error !== undefined}
        aria-describedby={hint}
        value={draft}
        disabled={p.disabled}
        // biome-ignore lint/a11y/noAutofocus: opened by the user's own Rename click
        autoFocus={p.autoFocus}
        onChange={(e) => {
          setDraft(e.target.value)
          setError(undefined)
        }}
        onBlur={commit}
        onKeyDown={(e) => {
          if (e.key === "Enter") commit()
          if (e.key === "Escape") {
            setDraft(p.saved)
            setError(undefined)
            p.onDone?.()
          }
        }}
      />
      <FieldHint id={hint} rule={p.rule} length={draft.length} error={error} />
    </form>
  )
}
