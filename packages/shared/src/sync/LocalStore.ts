import type { DocId, Role, WorkspaceId } from "@vibestack/schema"
import type { WireError } from "../protocol/errors.js"

/**
 * What a device keeps per document. Implementations: `MemoryLocalStore` (tests,
 * headless clients), `DexieLocalStore` (browser, apps/client), a file store
 * (headless Node clients). All run one contract suite: `LocalStore.contract.ts`.
 *
 * Every method is atomic: after a crash a document is in the state before or after
 * a call, never between (a local commit is in `updates` and `outbox` together, or in neither).
 */
export interface LocalStore {
  /** Everything needed to rebuild the document: snapshot plus the updates after it. */
  readonly loadDoc: (ws: WorkspaceId, doc: DocId) => Promise<StoredDoc>
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
  /** Unacknowledged local commits, oldest first. */
  readonly outbox: (ws: WorkspaceId, doc: DocId) => Promise<ReadonlyArray<OutboxEntry>>
  /** The server acknowledged outbox entry `id` (it stays in the update log). Unknown ids: no-op. */
  readonly ackOutbox: (ws: WorkspaceId, doc: DocId, id: number) => Promise<void>
  /**
   * The server refused outbox entry `id` for good (a `rejected` error kind): it leaves the
   * outbox, so it stops blocking later commits, and is kept in the rejected list with the
   * reason, never silently dropped (SPEC C8). Unknown ids: no-op.
   */
  readonly rejectOutbox: (ws: WorkspaceId, doc: DocId, id: number, error: WireError) => Promise<void>
  /** Entries the server refused, oldest first. */
  readonly rejectedOutbox: (ws: WorkspaceId, doc: DocId) => Promise<ReadonlyArray<RejectedEntry>>
  /**
   * Replaces the snapshot and drops the update-log entries it covers (ids ≤ `upToUpdateId`).
   * The outbox is untouched: compaction never loses an unsent commit.
   */
  readonly compact: (ws: WorkspaceId, doc: DocId, snapshot: Uint8Array, upToUpdateId: number) => Promise<void>
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
}

export interface OutboxEntry extends OutboxInput {
  /** Monotonic per document; also the update-log id of the same commit. */
  readonly id: number
}

export interface RejectedEntry extends OutboxEntry {
  readonly error: WireError
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
  /** Set when the server said the token is no longer valid. */
  readonly fatal?: string | undefined
}
