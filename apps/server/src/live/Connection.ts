import type { Role, TokenId, WorkspaceId } from "@vibestack/schema"
import type { WebSocket } from "ws"
import type { Input } from "./protocol.js"

/**
 * One authenticated live socket, as the node's fan-out and presence see it. What it follows
 * and its pushes in flight are its protocol state (`protocol.ts`), kept by the adapter.
 */
export interface Connection {
  readonly socket: WebSocket
  readonly workspaceId: WorkspaceId
  readonly role: Role
  readonly tokenId: TokenId
  /** Hands the socket's protocol an input from outside (a revocation). */
  readonly feed: (input: Input) => void
  alive: boolean
}

/** Limits of the live socket; every one has a clear close code or rejection. */
export interface LiveLimits {
  readonly authTimeoutMs: number
  readonly heartbeatMs: number
  /** Bytes queued on one socket before it counts as a slow consumer and is closed. */
  readonly maxBufferedBytes: number
  readonly maxSubscriptions: number
  readonly maxInFlightPushes: number
  readonly maxConnections: number
}

export const defaultLiveLimits: LiveLimits = {
  authTimeoutMs: 5_000,
  heartbeatMs: 15_000,
  maxBufferedBytes: 8 * 1024 * 1024,
  maxSubscriptions: 64,
  maxInFlightPushes: 64,
  maxConnections: 20_000,
}
