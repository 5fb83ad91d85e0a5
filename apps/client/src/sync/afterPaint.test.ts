import { describe, expect, it } from "vitest"
import { afterPaintPort, defaultAfterPaint } from "./afterPaint.js"
import type { PageToDoc } from "./docMessages.js"
import { intent } from "./intents.js"

/** A port over a recording target, with the paint under the test's control. */
const harness = () => {
  const sent: Array<PageToDoc["_tag"]> = []
  const paints: Array<() => void> = []
  const port = afterPaintPort({ postMessage: (m) => sent.push(m._tag) }, (flush) => paints.push(flush))
  const paint = () => {
    for (const f of paints.splice(0)) f()
  }
  return { sent, port, paint, paints }
}

const write = (seq: number): PageToDoc => ({
  _tag: "Write",
  seq,
  key: `k${seq}`,
  intent: intent("setTaskDescription", "t1", "x"),
  tag: undefined,
})
const caret: PageToDoc = { _tag: "PresenceSet", state: { name: "A", color: "#000000", taskId: "t1", typing: true } }
const ask: PageToDoc = { _tag: "Ask", id: 1, question: { _tag: "Versions" } }

describe("afterPaintPort", () => {
  it("holds a keystroke's write and caret until the frame is painted, then sends both in order", () => {
    const { sent, port, paint, paints } = harness()
    port.postMessage(write(1))
    port.postMessage(caret)
    expect(sent).toEqual([])
    // One frame scheduled for both.
    expect(paints.length).toBe(1)
    paint()
    expect(sent).toEqual(["Write", "PresenceSet"])
  })

  it("sends other messages at once when nothing is held (a caret on its own, a question, closing)", () => {
    const { sent, port, paints } = harness()
    port.postMessage(caret)
    port.postMessage(ask)
    port.postMessage({ _tag: "Close" })
    expect(sent).toEqual(["PresenceSet", "Ask", "Close"])
    expect(paints.length).toBe(0)
  })

  it("never lets a later message overtake a held one", () => {
    const { sent, port, paint } = harness()
    port.postMessage(write(1))
    port.postMessage(ask)
    port.postMessage(write(2))
    expect(sent).toEqual([])
    paint()
    expect(sent).toEqual(["Write", "Ask", "Write"])
    // After the frame, nothing is held: a question goes at once again.
    port.postMessage(ask)
    expect(sent).toEqual(["Write", "Ask", "Write", "Ask"])
  })

  it("flush sends what is held now, and the frame's own flush then finds nothing twice", () => {
    const { sent, port, paint } = harness()
    port.postMessage(write(1))
    port.postMessage({ _tag: "Close" })
    port.flush()
    expect(sent).toEqual(["Write", "Close"])
    paint()
    expect(sent).toEqual(["Write", "Close"])
  })

  it("posts at once where no frame is painted (no requestAnimationFrame: a worker, Node)", () => {
    let ran = false
    defaultAfterPaint(() => {
      ran = true
    })
    expect(ran).toBe(true)
  })
})
