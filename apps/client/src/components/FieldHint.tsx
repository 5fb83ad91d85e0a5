import { counterText, type TextRule } from "../ui/textRules.js"

/**
 * Under a field the schema limits: the "480 / 500" counter near the limit, and why the value
 * cannot be saved. Always rendered (empty when there is nothing to say) so the field's
 * `aria-describedby` always points at it.
 */
export const FieldHint = (p: {
  readonly id: string
  readonly rule: TextRule
  readonly length: number
  readonly error: string | undefined
}) => {
  const counter = counterText(p.rule, p.length)
  return (
    <div id={p.id} className="field-hint">
      {counter !== undefined && (
        <span className={p.length > p.rule.max ? "counter over" : "counter"} data-testid="counter">
          {counter}
        </span>
      )}
      {p.error !== undefined && (
        <span className="field-error" role="alert">
          {p.error}
        </span>
      )}
    </div>
  )
}
