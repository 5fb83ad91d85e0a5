import type { PageToDoc } from "./docMessages.js"

/** What `afterPaintPort` needs of the worker's port. */
export interface PostTarget {
  postMessage(m: PageToDoc): void
}

/** Runs `flush` once the page has painted its next frame (or soon, where nothing paints). */
export type AfterPaint = (flush: () => void) => void

/**
 * Runs `run` in a task after the page's next frame is painted: `requestAnimationFrame` runs
 * before the frame's paint, a task queued from it after. At once where nothing paints (no
 * `requestAnimationFrame`: a worker, Node).
 */
export const afterNextPaint = (run: () => void): void => {
  const later = () => setTimeout(run, 0)
  if (typeof requestAnimationFrame === "function") requestAnimationFrame(later)
  else later()
}

/**
 * A keystroke's frame first, its commit after. The document worker's commit of a key, the
 * outbox write in the browser's storage process, the push and the server's work all start the
 * moment the intent is posted, and on two cores they compete with the page for the frame that
 * shows the key. The intent is journaled synchronously (`IntentJournal`) before it is posted, so
 * nothing is lost while it waits one frame. A hidden page paints no frame: post at once there.
 */
export const defaultAfterPaint: AfterPaint = (flush) => {
  const doc = (globalThis as { document?: { visibilityState?: string } }).document
  if (typeof requestAnimationFrame !== "function" || doc?.visibilityState !== "visible") {
    flush()
    return
  }
  // The timer is the fallback if the page stops painting in between (hidden in that frame).
  const fallback = setTimeout(flush, 100)
  afterNextPaint(() => {
    clearTimeout(fallback)
    flush()
  })
}

/**
 * A port that holds a write (`Write`: a user's edit, a key) until the page has painted, and keeps
 * every message in the order it was posted: while anything is held, everything posted after it
 * is held too (a key's caret follows its write). Anything else goes at once when no write waits:
 * opening, presence, questions and closing wait for a frame only behind a write.
 */
export const afterPaintPort = (target: PostTarget, afterPaint: AfterPaint = defaultAfterPaint) => {
  let held: Array<PageToDoc> = []
  const flush = () => {
    const out = held
    held = []
    for (const m of out) target.postMessage(m)
  }
  return {
    postMessage(m: PageToDoc): void {
      if (held.length === 0 && m._tag !== "Write") {
        target.postMessage(m)
        return
      }
      held.push(m)
      if (held.length === 1) afterPaint(flush)
    },
    /** Sends whatever is held now (the page is going away). */
    flush,
  }
}
