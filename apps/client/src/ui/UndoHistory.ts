import { type LoroDoc, UndoManager } from "loro-crdt"
import { stampAuthor } from "../people/authorship.js"

/**
 * Undo and redo of this tab's own edits, through Loro's `UndoManager` on the tab's document
 * (remote edits are never undone; undoing is an ordinary new change that syncs). One per
 * open session: when the session's document is replaced, a new one is made.
 *
 * Every commit is its own step (one user action = one commit), except typing in a text that
 * groups its keystrokes (`typingStart`/`typingEnd`, e.g. the description while it has focus).
 * A step can carry a tag, so a "Deleted … Undo" notice undoes exactly that step or nothing.
 */
export class UndoHistory {
  private readonly manager: UndoManager
  private tag: string | undefined
  private grouping = false

  constructor(private readonly doc: LoroDoc) {
    this.manager = new UndoManager(doc, {
      mergeInterval: 0,
      maxUndoSteps: 200,
      // Called synchronously inside the commit that makes the step.
      onPush: (isUndo) => ({ value: isUndo ? (this.tag ?? null) : null, cursors: [] }),
    })
  }

  get canUndo(): boolean {
    return this.manager.canUndo()
  }

  get canRedo(): boolean {
    return this.manager.canRedo()
  }

  /** The tag of the step `undo` would revert next, if it has one. */
  get topTag(): string | undefined {
    const v = this.manager.topUndoValue()
    return typeof v === "string" ? v : undefined
  }

  /** Undoes the last step that still changes something (a step others overwrote does nothing). */
  undo(): boolean {
    this.typingEnd()
    // An undo is a new change like any other: it names its author in the history.
    stampAuthor(this.doc)
    while (this.manager.canUndo()) if (this.manager.undo()) return true
    return false
  }

  redo(): boolean {
    this.typingEnd()
    stampAuthor(this.doc)
    while (this.manager.canRedo()) if (this.manager.redo()) return true
    return false
  }

  /** Runs `fn` (which commits once) as its own step, tagged `tag`. */
  tagged<A>(tag: string, fn: () => A): A {
    this.typingEnd()
    this.tag = tag
    try {
      return fn()
    } finally {
      this.tag = undefined
    }
  }

  /** Undoes the step tagged `tag` if it is still the last one; false otherwise. */
  undoTagged(tag: string): boolean {
    this.typingEnd()
    if (this.manager.topUndoValue() !== tag) return false
    stampAuthor(this.doc)
    return this.manager.undo()
  }

  typingStart(): void {
    if (this.grouping) return
    this.manager.groupStart()
    this.grouping = true
  }

  typingEnd(): void {
    if (!this.grouping) return
    this.manager.groupEnd()
    this.grouping = false
  }

  free(): void {
    this.typingEnd()
    this.manager.free()
  }
}
