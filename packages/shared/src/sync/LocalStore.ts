import type { DocId, Role, WorkspaceId } from "@vibestack/schema"
import type { WireError } from "../protocol/errors.js"

/**
 * What a device keeps per document. Implementations: `MemoryLocalStore` (tests,
 * headless clients), `DexieLocalStore` (browser, apps/client), `FileLocalStore`
 * (headless Node clients). All run one contract suite: `LocalStore.contract.ts`.
 *
 * Every method is atomic: after a crash a document is in the state before or after
 * a call, never between (a local commit is in `updates` and `outbox` together, or in neither).
 */
export interface LocalStore {
  /** Everything needed to rebuild the document: snapshot plus the updates after it. */
  readonly loadDoc: (ws: WorkspaceId, doc: DocId) => Promise<StoredDoc>
  /**
   * The update-log entries with an id above `afterId`, in order, without the snapshot: what a
   * compaction or squash replaces is read on its own (the snapshot can be megabytes).
   */
  readonly updatesAfter: (
    ws: WorkspaceId,
    doc: DocId,
    afterId: number,
  ) => Promise<ReadonlyArray<{ readonly id: number; readonly bytes: Uint8Array }>>
  /** Persists a local commit: appended to the update log and the outbox in one step. */
  readonly appendLocal: (ws: WorkspaceId, doc: DocId, entry: OutboxInput) => Promise<OutboxEntry>
  /**
   * Persists updates pulled from the server and advances the cursor, in one step.
   * The cursor never goes down: a call with a lower cursor keeps the higher one.
   */
  readonly appendRemote: (
    ws: WorkspaceId,
    doc: DocId,
    updates: ReadonlyArray<Uint8Array>,
    cursor: number,
  ) => Promise<void>
  /**
   * At most `limit` outbox entries with an id above `afterId`, oldest first. Only these
   * entries' bytes are read: the engine walks a long outbox window by window (C3).
   */
  readonly outboxWindow: (
    ws: WorkspaceId,
    doc: DocId,
    afterId: number,
    limit: number,
  ) => Promise<ReadonlyArray<OutboxEntry>>
  /**
   * How many entries wait in the outbox, when the oldest was made, and how many were refused:
   * one read, no bytes (the engine asks after every commit and acknowledgement).
   */
  readonly outboxStats: (ws: WorkspaceId, doc: DocId) => Promise<OutboxStats>
  /** Every unacknowledged local commit, oldest first, bytes included (rebase, tests, tools). */
  readonly outbox: (ws: WorkspaceId, doc: DocId) => Promise<ReadonlyArray<OutboxEntry>>
  /**
   * The server acknowledged these outbox entries (they stay in the update log). Unknown ids: no-op.
   * Resolves to the outbox's stats after the removal, read in the same step: the engine needs
   * them after every acknowledgement, and a second read was a second transaction each time.
   */
  readonly ackOutbox: (ws: WorkspaceId, doc: DocId, ids: ReadonlyArray<number>) => Promise<OutboxStats>
  /** Entries the server refused, oldest first (C8). */
  readonly rejectedOutbox: (ws: WorkspaceId, doc: DocId) => Promise<ReadonlyArray<RejectedEntry>>
  /**
   * Takes refused entry `id` out of the rejected list (C15). With `replacement`, appends it
   * as a new local commit in the same step (a retry: the refused content re-applied on top),
   * so a crash can never leave both or neither. Resolves to the new outbox entry, if any;
   * an unknown id changes nothing and resolves to undefined.
   */
  readonly resolveRejected: (
    ws: WorkspaceId,
    doc: DocId,
    id: number,
    replacement: OutboxInput | undefined,
  ) => Promise<OutboxEntry | undefined>
  /**
   * Rewrites the document after a refusal (C14), only if the outbox and the rejected list
   * still hold exactly the ids the plan was computed from (a tab may have committed
   * meanwhile); resolves to whether it was written. The snapshot replaces the snapshot and
   * the whole update log; the outbox becomes `plan.outbox` (fresh ids, in order); the
   * rejected list becomes `plan.rejected`. The cursor is kept.
   */
  readonly rebase: (ws: WorkspaceId, doc: DocId, plan: RebasePlan) => Promise<boolean>
  /**
   * Replaces the snapshot and drops the update-log entries it covers (ids ≤ `upToUpdateId`).
   * The outbox is untouched: compaction never loses an unsent commit.
   */
  readonly compact: (ws: WorkspaceId, doc: DocId, snapshot: Uint8Array, upToUpdateId: number) => Promise<void>
  /**
   * Replaces the update-log entries with ids in (`afterUpdateId`, `upToUpdateId`] by one entry of
   * id `upToUpdateId` holding `bytes`, an update that carries every change they carried (the
   * engine's cheap compaction: O(those entries), not O(the document)). The snapshot, the outbox
   * and the other entries are untouched. No entry in the range: nothing changes.
   */
  readonly squash: (
    ws: WorkspaceId,
    doc: DocId,
    bytes: Uint8Array,
    afterUpdateId: number,
    upToUpdateId: number,
  ) => Promise<void>
  readonly setSchemaVersion: (ws: WorkspaceId, doc: DocId, version: number) => Promise<void>

  readonly putWorkspace: (meta: WorkspaceMeta) => Promise<void>
  readonly getWorkspace: (ws: WorkspaceId) => Promise<WorkspaceMeta | undefined>
  readonly listWorkspaces: () => Promise<ReadonlyArray<WorkspaceMeta>>
}

export interface StoredDoc {
  readonly snapshot: Uint8Array | undefined
  /** Update-log entries after the snapshot, in the order they were stored. */
  readonly updates: ReadonlyArray<{ readonly id: number; readonly bytes: Uint8Array }>
  /** Highest server seq this device has stored (0: none). */
  readonly cursor: number
  readonly schemaVersion: number
}

export interface OutboxInput {
  readonly bytes: Uint8Array
  readonly idempotencyKey: string
  /** When the change was made (ms since the epoch): the status shows the oldest waiting one's age. */
  readonly createdAt: number
}

export interface OutboxEntry extends OutboxInput {
  /** Monotonic per document; also the update-log id of the same commit. */
  readonly id: number
}

export interface OutboxStats {
  readonly count: number
  /** `createdAt` of the oldest entry; undefined when the outbox is empty. */
  readonly oldestAt: number | undefined
  /** Entries the server refused, kept aside (C8). */
  readonly rejected: number
}

/** A change the server refused, kept aside with why and what it contained (C8). */
export interface RejectedEntry extends OutboxEntry {
  readonly error: WireError
  /** What the change did, for a person: one line per edit ("tasks/abc title: set to …"). */
  readonly summary: string
  /** The full text the change typed or set, for "copy the text" (empty when none). */
  readonly text: string
}

export interface RebasePlan {
  /** The outbox ids the plan was computed from, in order. */
  readonly expectOutbox: ReadonlyArray<number>
  /** The rejected ids the plan was computed from, in order. */
  readonly expectRejected: ReadonlyArray<number>
  /** The rebuilt document: the server's state, acknowledged commits, and the re-applied edits. */
  readonly snapshot: Uint8Array
  /** The re-applied edits as new commits (fresh idempotency keys), in order. */
  readonly outbox: ReadonlyArray<OutboxInput>
  /** The whole rejected list after the rebase (kept entries keep their ids). */
  readonly rejected: ReadonlyArray<RejectedEntry>
}

/** Why sync stopped for good, in the server's words (`message`) and by kind. */
export interface FatalError {
  readonly kind: WireError["kind"]
  readonly message: string
}

export interface WorkspaceMeta {
  readonly workspaceId: WorkspaceId
  readonly name: string
  /** Base URL of the server, e.g. `http://127.0.0.1:3000`. */
  readonly serverUrl: string
  /** Master or access token; absent while a locally created workspace is not yet registered. */
  readonly token: string | undefined
  readonly role: Role
  readonly createdAt: number
  /** Secret the creator sends with registration so a retried registration is recognised as its own. */
  readonly creatorKey?: string | undefined
  /** Set when the server said the token is no longer valid (C6); a new token clears it. */
  readonly fatal?: FatalError | undefined
}
