import { type Task, TaskStatus } from "@vibestack/schema"

/** The board's columns, left to right: one per status. */
export const STATUSES: ReadonlyArray<TaskStatus> = TaskStatus.literals

export const statusLabel = (s: TaskStatus): string =>
  s === "todo"
    ? "To do"
    : s === "in_progress"
      ? "In progress"
      : s === "in_review"
        ? "In review"
        : s === "done"
          ? "Done"
          : "Canceled"

/** A project's shown tasks split by status, each column in the project's sort-key order. */
export const columnsOf = (tasks: ReadonlyArray<Task>): ReadonlyMap<TaskStatus, ReadonlyArray<Task>> => {
  const columns = new Map<TaskStatus, Array<Task>>(STATUSES.map((s) => [s, []]))
  for (const t of tasks) columns.get(t.status)!.push(t)
  return columns
}

/**
 * Where a task goes: its status and the two neighbours its new sort key falls between
 * (`moveTask`'s position; null = that end). Neighbours are ids of shown cards of the same
 * project, so a filtered column still places the card exactly where it was dropped.
 */
export interface Placement {
  readonly status: TaskStatus
  readonly after: string | null
  readonly before: string | null
}

type Columns = ReadonlyMap<TaskStatus, ReadonlyArray<{ readonly id: string }>>

const statusOfCard = (columns: Columns, id: string): TaskStatus | undefined => {
  for (const [s, list] of columns) if (list.some((t) => t.id === id)) return s
  return undefined
}

/** Unchanged place: nothing to write (a drop where the card already is). */
const unchanged = (columns: Columns, id: string, p: Placement): boolean => {
  const list = columns.get(p.status) ?? []
  const at = list.findIndex((t) => t.id === id)
  if (at < 0) return false
  return (list[at - 1]?.id ?? null) === p.after && (list[at + 1]?.id ?? null) === p.before
}

/**
 * A card dropped on `over`: another card (it takes that card's place, as in a sortable list:
 * dragged down it goes after it, up or from another column before it) or a column's empty
 * space (it goes last). Undefined when the card would stay where it is.
 */
export const dropPlacement = (
  columns: Columns,
  activeId: string,
  over: { readonly status: TaskStatus; readonly cardId?: string | undefined },
): Placement | undefined => {
  const from = statusOfCard(columns, activeId)
  const full = columns.get(over.status) ?? []
  const rest = full.filter((t) => t.id !== activeId)
  let placement: Placement
  if (over.cardId === undefined || over.cardId === activeId) {
    if (over.cardId === activeId) return undefined
    placement = { status: over.status, after: rest.at(-1)?.id ?? null, before: null }
  } else {
    const j = rest.findIndex((t) => t.id === over.cardId)
    if (j < 0) return undefined
    const goingDown =
      from === over.status && full.findIndex((t) => t.id === activeId) < full.findIndex((t) => t.id === over.cardId)
    placement = goingDown
      ? { status: over.status, after: rest[j]!.id, before: rest[j + 1]?.id ?? null }
      : { status: over.status, after: rest[j - 1]?.id ?? null, before: rest[j]!.id }
  }
  return unchanged(columns, activeId, placement) ? undefined : placement
}

export type Direction = "up" | "down" | "left" | "right"

/**
 * The keyboard alternative to a drag: one step up or down in the column, or into the
 * neighbouring column (at its end). Undefined at an edge.
 */
export const stepPlacement = (columns: Columns, id: string, dir: Direction): Placement | undefined => {
  const status = statusOfCard(columns, id)
  if (status === undefined) return undefined
  const list = columns.get(status)!
  const i = list.findIndex((t) => t.id === id)
  if (dir === "up") return i === 0 ? undefined : { status, after: list[i - 2]?.id ?? null, before: list[i - 1]!.id }
  if (dir === "down")
    return i === list.length - 1 ? undefined : { status, after: list[i + 1]!.id, before: list[i + 2]?.id ?? null }
  const next = STATUSES[STATUSES.indexOf(status) + (dir === "left" ? -1 : 1)]
  if (next === undefined) return undefined
  return { status: next, after: columns.get(next)?.at(-1)?.id ?? null, before: null }
}
