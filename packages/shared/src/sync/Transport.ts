import type { DocId, Role, WorkspaceId } from "@vibestack/schema"
import type { WireError } from "../protocol/errors.js"
import type { SeqBlob } from "../protocol/updatesBody.js"

/**
 * How the sync engine talks to a server. `HttpTransport` (fetch + WebSocket, used by
 * browsers and headless clients) and an in-memory one for fast tests implement it.
 * Every failure is a `TransportError` whose `kind` tells the engine how to react
 * (`reactionOf` in protocol/errors.ts); nothing else is thrown.
 */
export interface Transport {
  /** `creatorKey` lets the creator retry a registration whose answer was lost. */
  readonly register: (
    ws: WorkspaceId,
    name: string,
    options?: { readonly creatorKey?: string },
  ) => Promise<{ readonly masterToken: string }>
  readonly info: (token: string, ws: WorkspaceId) => Promise<WorkspaceInfo>
  readonly push: (
    token: string,
    ws: WorkspaceId,
    doc: DocId,
    bytes: Uint8Array,
    idempotencyKey: string,
  ) => Promise<PushResult>
  readonly pull: (token: string, ws: WorkspaceId, doc: DocId, after: number, limit: number) => Promise<PullPage>
  readonly snapshot: (
    token: string,
    ws: WorkspaceId,
    doc: DocId,
  ) => Promise<{ readonly bytes: Uint8Array; readonly cursor: number }>
  /** Opens the live socket; resolves once authenticated. */
  readonly connectLive: (token: string, ws: WorkspaceId, handlers: LiveHandlers) => Promise<LiveConnection>
}

export interface WorkspaceInfo {
  readonly workspaceId: WorkspaceId
  readonly name: string
  readonly role: Role
  readonly docs: ReadonlyArray<{ readonly docId: DocId; readonly cursor: number }>
}

export interface PushResult {
  readonly seq: number
  readonly duplicate: boolean
}

export interface PullPage {
  readonly updates: ReadonlyArray<SeqBlob>
  /** Last seq in this page (or `after` when empty). */
  readonly cursor: number
  readonly more: boolean
}

export interface LiveHandlers {
  readonly onUpdate: (doc: DocId, seq: number, bytes: Uint8Array) => void
  /** The server confirmed a subscription; `cursor` is its newest seq then (pull up to it). */
  readonly onSubscribed?: (doc: DocId, cursor: number) => void
  /** The socket closed; `error` is set when the server said why (fatal kinds stop the engine). */
  readonly onClose: (error: WireError | undefined) => void
}

export interface LiveConnection {
  readonly subscribe: (doc: DocId) => void
  /**
   * Pushes one update over the socket (a binary `Push` frame); resolves with the `PushAck`,
   * rejects with the `PushRejected` error's kind, or with `Unavailable` when the socket
   * closes first. Frames leave in call order and the server handles one document's pushes
   * in arrival order (server rule S11), so several may be in flight (C3).
   */
  readonly push: (doc: DocId, bytes: Uint8Array, idempotencyKey: string) => Promise<PushResult>
  readonly close: () => void
}

export class TransportError extends Error {
  readonly _tag = "TransportError"
  constructor(
    readonly kind: WireError["kind"],
    message: string,
  ) {
    super(message)
  }
}
