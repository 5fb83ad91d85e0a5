import { useVirtualizer } from "@tanstack/react-virtual"
import type { Task } from "@vibestack/schema"
import { type ReactNode, useLayoutEffect, useRef, useState } from "react"

/** Tasks read from IndexedDB beyond the last one on screen, so scrolling rarely waits. */
const READ_AHEAD = 200
/** Lists up to this long are rendered whole (find in page, screen readers); longer ones virtualized. */
export const WHOLE = 100
/** Row height before one is measured (a task row with its controls). */
const ESTIMATE = 44

interface Props {
  readonly label: string
  /** The tasks read so far, in order (a prefix of the project's `total`). */
  readonly tasks: ReadonlyArray<Task>
  readonly total: number
  /** Asks for the first `upTo` tasks to be read (the list calls it as it scrolls). */
  readonly loadMore: (upTo: number) => void
  readonly row: (task: Task, index: number) => ReactNode
}

/**
 * A project's task list, virtualized (@tanstack/react-virtual) past 100 tasks: only the rows in
 * view (plus a few) are in the DOM, whatever the project's size; the rest of the height is two
 * spacer items.
 * Rows past what is read show a placeholder and ask for more (the tab reads a long project
 * from IndexedDB a window at a time).
 */
export const VirtualTaskList = ({ label, tasks, total, loadMore, row }: Props) => {
  const scroller = useRef<HTMLDivElement>(null)
  const list = useRef<HTMLUListElement>(null)
  const [rowHeight, setRowHeight] = useState(ESTIMATE)
  const measured = useRef(false)
  const whole = total <= WHOLE && tasks.length >= total
  const virtualizer = useVirtualizer({
    count: whole ? 0 : total,
    getScrollElement: () => scroller.current,
    estimateSize: () => rowHeight,
    // Few rows beyond the view: every row is a form of several controls, and laying them all
    // out when the board opens is one long task on the page.
    overscan: 3,
    initialRect: { width: 0, height: 600 },
  })
  const items = virtualizer.getVirtualItems()
  const lastIndex = items.at(-1)?.index ?? 0
  // Measured once from a real row (every task row has the same controls): reading a size
  // forces a layout, which must not happen on every render.
  useLayoutEffect(() => {
    if (measured.current) return
    const h = list.current?.querySelector<HTMLElement>("li.task:not(.pending)")?.getBoundingClientRect().height
    if (h === undefined || h <= 0) return
    measured.current = true
    if (Math.abs(h - rowHeight) > 1) setRowHeight(h)
  })
  // biome-ignore lint/correctness/useExhaustiveDependencies: rowHeight is the trigger: sizes were estimated with the old one
  useLayoutEffect(() => virtualizer.measure(), [virtualizer, rowHeight])
  useLayoutEffect(() => {
    if (!whole && lastIndex >= tasks.length - 1 && tasks.length < total) loadMore(lastIndex + READ_AHEAD)
  }, [whole, lastIndex, tasks.length, total, loadMore])
  if (whole)
    return (
      <div className="task-scroll">
        <ul className="tasks" aria-label={label}>
          {tasks.map((t, i) => row(t, i))}
        </ul>
      </div>
    )
  const before = items[0]?.start ?? 0
  const after = Math.max(0, virtualizer.getTotalSize() - (items.at(-1)?.end ?? 0))
  return (
    <div ref={scroller} className="task-scroll">
      <ul ref={list} className="tasks" aria-label={label}>
        {before > 0 && <li aria-hidden="true" className="task-spacer" style={{ height: before }} />}
        {items.map((v) => {
          const t = tasks[v.index]
          return t === undefined ? (
            <li key={`pending-${v.index}`} className="task pending" style={{ height: rowHeight }} aria-busy="true" />
          ) : (
            row(t, v.index)
          )
        })}
        {after > 0 && <li aria-hidden="true" className="task-spacer" style={{ height: after }} />}
      </ul>
    </div>
  )
}

/**
 * Where a project's rows go until it is near the screen: the height its list will take (`rows`
 * estimated rows, at most the list's scrolling height), so revealing it moves nothing below.
 */
export const RowsPlaceholder = ({ rows }: { readonly rows?: number }) => (
  <div
    className="task-scroll rows-placeholder"
    aria-busy="true"
    style={rows === undefined ? undefined : { height: `min(70vh, ${rows * ESTIMATE}px)` }}
  />
)
