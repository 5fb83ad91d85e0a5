import {
  COMMENT_BODY_MAX,
  MEMBER_NAME_MAX,
  PROJECT_NAME_MAX,
  TASK_DESCRIPTION_MAX,
  TASK_TITLE_MAX,
} from "@vibestack/schema"
import { TOKEN_LABEL_MAX, WORKSPACE_NAME_MAX } from "@vibestack/shared"
import { intlLater } from "./intl.js"

/**
 * The text rules of the schema (packages/schema: `Name(max)` and the text limits), checked
 * where the user types so a refusal is said there, in words, before anything is written.
 * The write helpers (and the server) check again and stay the authority; these only explain.
 */
export interface TextRule {
  readonly max: number
  /** A single-line name that must not be blank (`Name(max)`), or free text. */
  readonly kind: "name" | "text"
  /** Free text that loses surrounding spaces (a comment); names always do. */
  readonly trim?: boolean
  /** What the field holds, for messages: "a task needs a title". */
  readonly blank?: string
}

export const RULES = {
  taskTitle: { max: TASK_TITLE_MAX, kind: "name", blank: "a task needs a title" },
  projectName: { max: PROJECT_NAME_MAX, kind: "name", blank: "a project needs a name" },
  memberName: { max: MEMBER_NAME_MAX, kind: "name", blank: "a person needs a name" },
  comment: { max: COMMENT_BODY_MAX, kind: "text", trim: true, blank: "a comment cannot be empty" },
  description: { max: TASK_DESCRIPTION_MAX, kind: "text" },
  // Not in the document: the server refuses them when registering or minting a link.
  workspaceName: { max: WORKSPACE_NAME_MAX, kind: "name", blank: "a workspace needs a name" },
  linkLabel: { max: TOKEN_LABEL_MAX, kind: "name" },
} as const satisfies Record<string, TextRule>

export type TextCheck = { readonly ok: true; readonly value: string } | { readonly ok: false; readonly reason: string }

const numbers = intlLater(() => new Intl.NumberFormat())

/** Numbers in the user's own format (100,000 in English). */
export const count = (n: number): string => numbers().format(n)

/** Names lose surrounding spaces and line breaks (they become spaces); free text is kept as typed. */
export const checkText = (rule: TextRule, raw: string): TextCheck => {
  const value = rule.kind === "name" ? raw.replace(/[\r\n]+/g, " ").trim() : rule.trim ? raw.trim() : raw
  if (rule.blank !== undefined && value.trim() === "") return { ok: false, reason: `Not saved: ${rule.blank}.` }
  if (value.length > rule.max)
    return {
      ok: false,
      reason: `Not saved: ${count(value.length)} characters, the limit is ${count(rule.max)}.`,
    }
  return { ok: true, value }
}

/** The "480 / 500" counter, shown from 80% of the limit (as editors do), else undefined. */
export const counterText = (rule: TextRule, length: number): string | undefined =>
  length >= rule.max * 0.8 ? `${count(length)} / ${count(rule.max)}` : undefined
