import { elementScroll, type Rect, useVirtualizer, type Virtualizer } from "@tanstack/react-virtual"
import type { Task } from "@vibestack/schema"
import { type ReactNode, useEffect, useLayoutEffect, useRef, useState } from "react"

/** Tasks read from IndexedDB beyond the last one on screen, so scrolling rarely waits. */
const READ_AHEAD = 200
/** Lists up to this long are rendered whole (find in page, screen readers); longer ones virtualized. */
export const WHOLE = 100
/**
 * Whether a list renders whole: only one known to be short (`final` count). A new device's first
 * part of rows (56 of a project's 1,000) was rendered whole in the first board's render, one long
 * task, before the virtualized list replaced it.
 */
export const rendersWhole = (final: boolean, total: number, read: number): boolean =>
  final && total <= WHOLE && read >= total

/** Row height before one is measured (a task row with its controls). */
const ESTIMATE = 44

/**
 * The scroll element's size from a ResizeObserver alone. The library's default also reads it at
 * once (`clientHeight`) from a layout effect, which forced the page's layout inside the render's
 * task (23 ms of a 70 ms task when a 10,000-task board reloads); the observer answers after the
 * frame's own layout. `initialRect` stands until then.
 */
const observeSizeAfterLayout = (instance: Virtualizer<HTMLDivElement, Element>, cb: (rect: Rect) => void) => {
  const element = instance.scrollElement
  if (element === null || typeof ResizeObserver === "undefined") return
  // Read in the observer's callback: layout is clean there, so reading costs nothing.
  const observer = new ResizeObserver(() => cb({ width: element.clientWidth, height: element.clientHeight }))
  observer.observe(element)
  return () => observer.disconnect()
}

/** Scroll elements the virtualizer has been given (it scrolls each once as it mounts). */
const mounted = new WeakSet<Element>()

/**
 * Scrolls like the library, except its first call on a new element: as the list mounts it
 * scrolls the element to where it is (the top, for a new one), and that `scrollTo` forced the
 * page's layout inside the render's task (25 ms of a 65 ms task when a 10,000-task board
 * reloads).
 */
const scrollAfterMount: typeof elementScroll = (offset, options, instance) => {
  const element = instance.scrollElement
  if (element !== null && !mounted.has(element)) {
    mounted.add(element)
    if (offset + (options.adjustments ?? 0) === 0) return
  }
  elementScroll(offset, options, instance)
}

interface Props {
  readonly label: string
  /** The tasks read so far, in order (a prefix of the project's `total`). */
  readonly tasks: ReadonlyArray<Task>
  readonly total: number
  /**
   * `total` is the document's count, not a count of the rows stored so far: a new device writes
   * its rows in parts, and the first part leaves every project short for a moment.
   */
  readonly final: boolean
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
export const VirtualTaskList = ({ label, tasks, total, final, loadMore, row }: Props) => {
  const scroller = useRef<HTMLDivElement>(null)
  const list = useRef<HTMLUListElement>(null)
  const [rowHeight, setRowHeight] = useState(ESTIMATE)
  const measured = useRef(false)
  const whole = rendersWhole(final, total, tasks.length)
  const virtualizer = useVirtualizer({
    count: whole ? 0 : total,
    getScrollElement: () => scroller.current,
    estimateSize: () => rowHeight,
    // Few rows beyond the view: every row is a form of several controls, and laying them all
    // out when the board opens is one long task on the page.
    overscan: 3,
    // The list's height until its observer answers: `.task-scroll` is at most 70vh (innerHeight
    // reads no layout), so the first render draws the rows that fit, not a guess's worth.
    initialRect: { width: 0, height: Math.round((typeof innerHeight === "number" ? innerHeight : 860) * 0.7) },
    observeElementRect: observeSizeAfterLayout,
    scrollToFn: scrollAfterMount,
  })
  const items = virtualizer.getVirtualItems()
  const lastIndex = items.at(-1)?.index ?? 0
  // Measured once from a real row (every task row has the same controls), by a ResizeObserver:
  // it answers after the frame's layout, where reading a size in an effect forced one.
  useEffect(() => {
    if (measured.current || typeof ResizeObserver === "undefined") return
    const row = list.current?.querySelector<HTMLElement>("li.task:not(.pending)")
    if (row === null || row === undefined) return
    const observer = new ResizeObserver(([entry]) => {
      const h = entry?.borderBoxSize?.[0]?.blockSize ?? 0
      if (h <= 0 || measured.current) return
      measured.current = true
      observer.disconnect()
      if (Math.abs(h - rowHeight) > 1) setRowHeight(h)
    })
    observer.observe(row)
    return () => observer.disconnect()
  })
  // Sizes were estimated with the old height: estimate again once a row is measured. Not as the
  // list mounts: `measure` re-renders it, and a re-render asked for by a layout effect runs at
  // once, in the same task as the board's first render (that task went from 59 to 48 ms reloading
  // 10,000 tasks without it).
  const estimatedWith = useRef(rowHeight)
  useLayoutEffect(() => {
    if (estimatedWith.current === rowHeight) return
    estimatedWith.current = rowHeight
    virtualizer.measure()
  }, [virtualizer, rowHeight])
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
