import type { Collection, EntityOf, WorkspaceView } from "@vibestack/schema"
import type { EntityMarkRow } from "../db/EntityRows.js"
import type { DocVersionPoint } from "../history/versions.js"
import type { Peer } from "../presence/PresenceChannel.js"
import type { PagePresence } from "../presence/PresenceHost.js"
import type { Intent } from "./intents.js"

/** A version of the entity rows (the frontiers they reflect). */
export type RowsMark = EntityMarkRow["frontiers"]

/**
 * Page ⇄ document worker (one dedicated worker per open workspace per tab, same build as
 * the page that starts it, so payloads are typed rather than decoded). The page sends
 * intents and questions; the worker sends entity changes, never the document.
 */
export type PageToDoc =
  /**
   * `replay`: intents a closed tab journaled (IntentJournal); the worker runs those it never stored.
   * `since`: the rows' mark the page read before drawing from the rows (none if there were none).
   */
  | {
      readonly _tag: "Open"
      readonly ws: string
      readonly canWrite: boolean
      readonly replay: ReadonlyArray<{ readonly key: string; readonly intent: Intent }>
      readonly since: RowsMark | undefined
    }
  | { readonly _tag: "Meta"; readonly canWrite: boolean }
  /** `key`: the intent's journal key (recorded with its outbox entry). */
  | {
      readonly _tag: "Write"
      readonly seq: number
      readonly key: string
      readonly intent: Intent
      readonly tag: string | undefined
    }
  | { readonly _tag: "Undo" | "Redo" | "TypingStart" | "TypingEnd" }
  | { readonly _tag: "UndoTagged"; readonly tag: string }
  | { readonly _tag: "Ask"; readonly id: number; readonly question: Question }
  /** Who this tab's commits name as their author (`people/authorship.ts`). */
  | { readonly _tag: "Author"; readonly memberId: string | undefined }
  /** Presence (C17) runs in the worker: the token to share it with (undefined: stop), and this tab's state. */
  | { readonly _tag: "PresenceAuth"; readonly token: string | undefined }
  | { readonly _tag: "PresenceSet"; readonly state: PagePresence }
  | { readonly _tag: "Close" }

export type Question =
  | { readonly _tag: "Versions" }
  | { readonly _tag: "ViewAt"; readonly frontiers: DocVersionPoint["frontiers"] }

/** Another tab's presence, its caret as an offset in this tab's copy of the description. */
export type PresenceShown = Omit<Peer, "caret"> & { readonly caretOffset?: number }

export type EntityPut = { readonly c: Collection; readonly entity: EntityOf[Collection] }
export type EntityGone = { readonly c: Collection; readonly id: string }

/** What the page shows about the document beyond its entities. */
export interface DocState {
  /** The document is imported (until then the page shows rows from IndexedDB). */
  readonly loaded: boolean
  /** Many rows are being written (a new device's fill, a large import): the board is still growing. */
  readonly filling: boolean
  /** Commits not yet in the IndexedDB outbox. */
  readonly unsaved: number
  /**
   * Commits this worker has put in the outbox so far. The status bar counts the outbox in
   * IndexedDB now and then: the ones stored since its last read started are added to it.
   */
  readonly stored: number
  readonly saveError: string | undefined
  /** Why this tab must not write beyond the role (a newer app's document, a reload under way). */
  readonly readOnlyReason: string | undefined
  readonly canUndo: boolean
  readonly canRedo: boolean
  /** The tag of the step Undo would revert next (a "Deleted … Undo" notice undoes only its own). */
  readonly topUndoTag: string | undefined
}

export type DocToPage =
  /** Entities changed in the document; `applied`: the last write seq the worker has run. */
  | {
      readonly _tag: "Changes"
      readonly puts: ReadonlyArray<EntityPut>
      readonly gone: ReadonlyArray<EntityGone>
      readonly applied: number
    }
  /**
   * Too many changes to send: they are in IndexedDB, read your windows again. `gone`: the
   * entities those changes deleted (rows cannot say what is no longer there).
   */
  | { readonly _tag: "Reload"; readonly applied: number; readonly gone: ReadonlyArray<EntityGone> }
  | { readonly _tag: "Applied"; readonly seq: number }
  /** The intent's commit is in the outbox (or it committed nothing): the page drops its journal entry. */
  | { readonly _tag: "Stored"; readonly key: string }
  /** The rows of the first `upTo` `Changes` messages are written to IndexedDB (counts there are current). */
  | { readonly _tag: "Rows"; readonly upTo: number }
  | { readonly _tag: "WriteFailed"; readonly seq: number; readonly message: string }
  | { readonly _tag: "State"; readonly state: DocState }
  | { readonly _tag: "Answer"; readonly id: number; readonly value: Answer }
  | { readonly _tag: "Failed"; readonly message: string }
  | { readonly _tag: "Presence"; readonly peers: ReadonlyArray<PresenceShown> }

export type Answer =
  | { readonly _tag: "Versions"; readonly versions: ReadonlyArray<DocVersionPoint> }
  | { readonly _tag: "View"; readonly view: WorkspaceView | undefined }
