import { TASK_DESCRIPTION_MAX, TASK_TITLE_MAX } from "@vibestack/schema"
import { describe, expect, it } from "vitest"
import { checkText, counterText, RULES } from "./textRules.js"

describe("[U1] text rules where the user types", () => {
  it("[U1] names: blank and too long are refused with a reason; spaces trimmed; line breaks become spaces", () => {
    expect(checkText(RULES.taskTitle, "  Ship it ")).toEqual({ ok: true, value: "Ship it" })
    expect(checkText(RULES.taskTitle, "a\nb")).toEqual({ ok: true, value: "a b" })
    expect(checkText(RULES.taskTitle, "   ")).toEqual({ ok: false, reason: "Not saved: a task needs a title." })
    expect(checkText(RULES.taskTitle, "x".repeat(TASK_TITLE_MAX))).toMatchObject({ ok: true })
    expect(checkText(RULES.taskTitle, "x".repeat(10_000))).toEqual({
      ok: false,
      reason: `Not saved: ${(10_000).toLocaleString()} characters, the limit is ${TASK_TITLE_MAX.toLocaleString()}.`,
    })
  })

  it("[U1] free text keeps its spaces; a description may be empty, a comment may not", () => {
    expect(checkText(RULES.description, "")).toEqual({ ok: true, value: "" })
    expect(checkText(RULES.description, " a ")).toEqual({ ok: true, value: " a " })
    expect(checkText(RULES.description, "x".repeat(TASK_DESCRIPTION_MAX + 1)).ok).toBe(false)
    expect(checkText(RULES.comment, " \n ")).toEqual({ ok: false, reason: "Not saved: a comment cannot be empty." })
  })

  it("[U1] the counter shows from 80% of the limit", () => {
    expect(counterText(RULES.taskTitle, TASK_TITLE_MAX * 0.8 - 1)).toBeUndefined()
    expect(counterText(RULES.taskTitle, TASK_TITLE_MAX - 20)).toBe(
      `${(TASK_TITLE_MAX - 20).toLocaleString()} / ${TASK_TITLE_MAX.toLocaleString()}`,
    )
  })
})
