import { type Member, TaskPriority } from "@vibestack/schema"
import { useState } from "react"
import { Fields } from "../components/Fields.js"
import { STATUSES, statusLabel } from "./boardMoves.js"
import { isFiltering, NO_FILTER, type TaskFilter } from "./taskFilter.js"

/** Search titles and narrow by assignee, priority and status; applies to the list and the board. */
export const FilterBar = (p: {
  readonly filter: TaskFilter
  readonly members: ReadonlyMap<string, Member>
  readonly onChange: (f: TaskFilter) => void
}) => {
  const f = p.filter
  // The narrowing selects open on request (or while one of them is set): search is enough most of the time.
  const [open, setOpen] = useState(false)
  const shown = open || f.assignee !== "" || f.priority !== "" || f.status !== ""
  const people = [...p.members.values()].sort((a, b) => a.name.localeCompare(b.name))
  return (
    <search className="row filter-bar" aria-label="Filter tasks">
      <Fields>
        <input
          type="search"
          aria-label="Search tasks"
          placeholder="Search tasks"
          value={f.query}
          onChange={(e) => p.onChange({ ...f, query: e.target.value })}
        />
        <button type="button" aria-expanded={shown} onClick={() => setOpen(!shown)}>
          Filters
        </button>
        {shown && (
          <>
            <select
              aria-label="Filter by assignee"
              value={f.assignee}
              onChange={(e) => p.onChange({ ...f, assignee: e.target.value })}
            >
              <option value="">Anyone</option>
              <option value="none">Unassigned</option>
              {people.map((m) => (
                <option key={m.id} value={m.id}>
                  {m.name}
                </option>
              ))}
            </select>
            <select
              aria-label="Filter by priority"
              value={f.priority}
              onChange={(e) => p.onChange({ ...f, priority: e.target.value as TaskFilter["priority"] })}
            >
              <option value="">Any priority</option>
              {TaskPriority.literals.map((x) => (
                <option key={x} value={x}>
                  {x}
                </option>
              ))}
            </select>
            <select
              aria-label="Filter by status"
              value={f.status}
              onChange={(e) => p.onChange({ ...f, status: e.target.value as TaskFilter["status"] })}
            >
              <option value="">Any status</option>
              {STATUSES.map((x) => (
                <option key={x} value={x}>
                  {statusLabel(x)}
                </option>
              ))}
            </select>
          </>
        )}
        {isFiltering(f) && (
          <button type="button" onClick={() => p.onChange(NO_FILTER)}>
            Clear filters
          </button>
        )}
      </Fields>
    </search>
  )
}
