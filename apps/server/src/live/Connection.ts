import type { DocId, Role, TokenId, WorkspaceId } from "@vibestack/schema"
import type { WebSocket } from "ws"

/** One authenticated live socket and what it follows. */
export interface Connection {
  readonly socket: WebSocket
  readonly workspaceId: WorkspaceId
  readonly role: Role
  readonly tokenId: TokenId
  /** The token's expiry plus the clock tolerance: the socket is closed then (4011). */
  readonly validUntil: Date
  readonly docs: Set<DocId>
  /** Pushes sent over this socket and not yet answered. */
  inFlight: number
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
