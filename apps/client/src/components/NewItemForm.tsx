import { type FormEvent, useId, useState } from "react"
import { checkText, type TextRule } from "../ui/textRules.js"
import type { WriteResult } from "../ui/write.js"
import { FieldHint } from "./FieldHint.js"

interface Props {
  readonly label: string
  /** Shown to screen readers only when true (the board's task inputs are labelled by their column). */
  readonly hideLabel?: boolean
  readonly button: string
  readonly rule: TextRule
  readonly placeholder?: string
  readonly multiline?: boolean
  readonly className?: string
  readonly onAdd: (value: string) => WriteResult | Promise<WriteResult>
}

/**
 * A field and a button that create one thing (task, project, comment, person). What the
 * schema would refuse is said under the field and nothing is created; the typed text stays
 * so it can be fixed. The field empties only once the thing exists.
 */
export const NewItemForm = (p: Props) => {
  const [value, setValue] = useState("")
  const [error, setError] = useState<string | undefined>(undefined)
  const id = useId()
  const hint = `${id}-hint`
  const submit = async (e: FormEvent) => {
    e.preventDefault()
    const checked = checkText(p.rule, value)
    if (!checked.ok) return setError(checked.reason)
    const r = await p.onAdd(checked.value)
    if (!r.ok) return setError(r.message)
    setValue("")
    setError(undefined)
  }
  const field = {
    id,
    value,
    placeholder: p.placeholder,
    "aria-invalid": error !== undefined,
    "aria-describedby": hint,
    onChange: (e: { target: { value: string } }) => {
      setValue(e.target.value)
      setError(undefined)
    },
  }
  return (
    <form className={p.className ?? "new-item"} onSubmit={submit}>
      <label htmlFor={id} className={p.hideLabel ? "sr-only" : undefined}>
        {p.label}
      </label>
      {p.multiline ? <textarea rows={2} {...field} /> : <input {...field} />}
      <button type="submit">{p.button}</button>
      <FieldHint id={hint} rule={p.rule} length={value.length} error={error} />
    </form>
  )
}
