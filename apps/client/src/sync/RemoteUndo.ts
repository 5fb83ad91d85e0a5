import type { WorkspaceSession } from "./WorkspaceSession.js"

/**
 * Undo and redo of this tab's own edits. The `UndoManager` is in the document worker
 * (`UndoHistory` over the tab's LoroDoc there); this is its handle on the page, with the
 * worker's last reported state, so the buttons and the "Deleted … Undo" notice answer at once.
 */
export class RemoteUndo {
  constructor(private readonly session: WorkspaceSession) {}

  get canUndo(): boolean {
    return this.session.undoState.canUndo
  }

  get canRedo(): boolean {
    return this.session.undoState.canRedo
  }

  undo(): void {
    this.session.post({ _tag: "Undo" })
  }

  redo(): void {
    this.session.post({ _tag: "Redo" })
  }

  /** Runs `fn` (which writes once) as its own step, tagged `tag`. */
  tagged<A>(tag: string, fn: () => A): A {
    this.session.tag = tag
    try {
      return fn()
    } finally {
      this.session.tag = undefined
    }
  }

  /** Undoes the step tagged `tag` if it is still the last one (as far as the worker last said). */
  undoTagged(tag: string): boolean {
    if (this.session.undoState.topUndoTag !== tag) return false
    this.session.post({ _tag: "UndoTagged", tag })
    return true
  }

  typingStart(): void {
    this.session.post({ _tag: "TypingStart" })
  }

  typingEnd(): void {
    this.session.post({ _tag: "TypingEnd" })
  }
}
