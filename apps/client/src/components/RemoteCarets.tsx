import type { RefObject } from "react"
import { useLayoutEffect, useRef } from "react"

export interface RemoteCaret {
  readonly key: string
  readonly name: string
  readonly color: string
  readonly offset: number
}

/**
 * Other people's carets drawn over a textarea: a mirror of its text (same box, font and
 * wrapping, invisible) with a coloured bar and name at each offset, scrolled with the field.
 */
export const RemoteCarets = (p: {
  readonly field: RefObject<HTMLTextAreaElement | null>
  readonly text: string
  readonly carets: ReadonlyArray<RemoteCaret>
}) => {
  const mirror = useRef<HTMLDivElement>(null)
  useLayoutEffect(() => {
    const field = p.field.current
    const m = mirror.current
    if (field === null || m === null) return
    const copy = () => {
      const cs = getComputedStyle(field)
      for (const k of ["font", "padding", "borderWidth", "lineHeight", "letterSpacing", "boxSizing"] as const)
        m.style[k] = cs[k]
      m.style.width = `${field.offsetWidth}px`
      m.style.height = `${field.offsetHeight}px`
      m.scrollTop = field.scrollTop
    }
    copy()
    field.addEventListener("scroll", copy)
    const ro = new ResizeObserver(copy)
    ro.observe(field)
    return () => {
      field.removeEventListener("scroll", copy)
      ro.disconnect()
    }
  })
  if (p.carets.length === 0) return null
  const sorted = [...p.carets].sort((a, b) => a.offset - b.offset)
  const parts: Array<React.ReactNode> = []
  let at = 0
  for (const c of sorted) {
    const offset = Math.min(Math.max(c.offset, at), p.text.length)
    parts.push(p.text.slice(at, offset))
    parts.push(
      <span key={c.key} className="remote-caret" style={{ borderColor: c.color }}>
        <span className="remote-caret-name" style={{ background: c.color }}>
          {c.name}
        </span>
      </span>,
    )
    at = offset
  }
  parts.push(`${p.text.slice(at)}\u200b`)
  return (
    <div ref={mirror} className="caret-mirror" aria-hidden="true" data-testid="remote-carets">
      {parts}
    </div>
  )
}
