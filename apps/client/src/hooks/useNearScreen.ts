import { useCallback, useEffect, useState } from "react"

/** How far beyond the viewport counts as near: a screen's height, so rows are there before they scroll in. */
const MARGIN = "100% 0px"

/**
 * Whether an element is on screen or near it, for parts too costly to render before they are
 * looked at (a project's rows or cards). True from the start when `eager` (the first project: the
 * first screenful renders in the first frame); otherwise from the first time the element comes
 * within a screen of the viewport. Once true it stays true (rows once shown keep their state and
 * focus).
 */
export const useNearScreen = (eager: boolean): readonly [boolean, (el: Element | null) => void] => {
  const [near, setNear] = useState(eager)
  const [el, setEl] = useState<Element | null>(null)
  useEffect(() => {
    if (eager) setNear(true)
  }, [eager])
  useEffect(() => {
    if (near || el === null) return
    if (typeof IntersectionObserver === "undefined") return setNear(true)
    const io = new IntersectionObserver((entries) => entries.some((e) => e.isIntersecting) && setNear(true), {
      rootMargin: MARGIN,
    })
    io.observe(el)
    return () => io.disconnect()
  }, [near, el])
  return [near || eager, useCallback((e: Element | null) => setEl(e), [])]
}
