import { startTransition, useCallback, useEffect, useState } from "react"
import { afterNextPaint } from "../sync/afterPaint.js"

/** How far beyond the viewport counts as near: a screen's height, so rows are there before they scroll in. */
const MARGIN = "100% 0px"

/**
 * Parts that came near the screen, shown one per frame: opening a board with many projects
 * in view lays out one project's rows at a time (each its own short task, a paint between),
 * instead of every project's in one task that holds the page for hundreds of milliseconds.
 */
const waiting: Array<() => void> = []
let scheduled = false
const revealNext = (): void => {
  scheduled = false
  waiting.shift()?.()
  if (waiting.length > 0) schedule()
}
const schedule = (): void => {
  if (scheduled) return
  scheduled = true
  afterNextPaint(revealNext)
}
const reveal = (show: () => void): (() => void) => {
  waiting.push(show)
  schedule()
  return () => {
    const i = waiting.indexOf(show)
    if (i >= 0) waiting.splice(i, 1)
  }
}

/**
 * Whether an element is on screen or near it, for parts too costly to render before they are
 * looked at (a project's rows or cards). True from the start when `eager` (the first project: the
 * first screenful renders in the first frame); otherwise once the element has come within a
 * screen of the viewport while `watch` holds (an empty project is not watched: it is small, so
 * it would count as near, and its tasks may be on their way), in its turn (`reveal`). Once true
 * it stays true (rows once shown keep their state and focus).
 */
export const useNearScreen = (eager: boolean, watch = true): readonly [boolean, (el: Element | null) => void] => {
  const [near, setNear] = useState(eager)
  const [el, setEl] = useState<Element | null>(null)
  useEffect(() => {
    if (eager) setNear(true)
  }, [eager])
  useEffect(() => {
    if (near || el === null || !watch) return
    if (typeof IntersectionObserver === "undefined") return setNear(true)
    let cancel: (() => void) | undefined
    const io = new IntersectionObserver(
      (entries) => {
        if (cancel !== undefined || !entries.some((e) => e.isIntersecting)) return
        io.disconnect()
        // A transition: a project's rows render in slices, yielding to input.
        cancel = reveal(() => startTransition(() => setNear(true)))
      },
      { rootMargin: MARGIN },
    )
    io.observe(el)
    return () => {
      io.disconnect()
      cancel?.()
    }
  }, [near, el, watch])
  return [near || eager, useCallback((e: Element | null) => setEl(e), [])]
}
