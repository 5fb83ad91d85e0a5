import { randomUUID } from "node:crypto"
import type { WorkspaceId } from "@vibestack/schema"
import { PRESENCE_BURST, PRESENCE_RATE_PER_SECOND, PresenceGone, PresenceUpdate } from "@vibestack/shared"
import type { Connection } from "./Connection.js"

/** One socket's presence: its last state (base64, bounded by the message schema) and its rate budget. */
interface Slot {
  readonly id: string
  state: string
  tokens: number
  refilledAt: number
  /** A state that came over the rate: sent when the budget allows (only the latest is kept). */
  pending: string | undefined
  timer: NodeJS.Timeout | undefined
}

export interface PresenceLimits {
  readonly ratePerSecond: number
  readonly burst: number
}

export const defaultPresenceLimits: PresenceLimits = { ratePerSecond: PRESENCE_RATE_PER_SECOND, burst: PRESENCE_BURST }

/**
 * Presence (server rule S26): relays each socket's Loro `EphemeralStore` bytes, unread, to the
 * other presence sockets of the same workspace. Only in memory (one state per socket, bounded
 * by the message schema), never stored. A socket over its rate has its frames coalesced: the
 * latest state goes out when its budget allows. `drop` (socket closed, token revoked or
 * expired) tells the others at once, so a revoked person disappears within one message.
 */
export class PresenceRelay {
  private readonly rooms = new Map<WorkspaceId, Map<Connection, Slot>>()

  constructor(
    private readonly send: (conn: Connection, msg: PresenceUpdate | PresenceGone) => void,
    private readonly limits: PresenceLimits = defaultPresenceLimits,
    private readonly now: () => number = Date.now,
  ) {}

  /** A `Presence` frame from `conn`. The first one joins: the sender gets everyone else's state. */
  update(conn: Connection, state: string): void {
    let room = this.rooms.get(conn.workspaceId)
    if (room === undefined) this.rooms.set(conn.workspaceId, (room = new Map()))
    let slot = room.get(conn)
    if (slot === undefined) {
      slot = {
        id: randomUUID(),
        state,
        tokens: this.limits.burst,
        refilledAt: this.now(),
        pending: undefined,
        timer: undefined,
      }
      room.set(conn, slot)
      for (const [other, s] of room)
        if (other !== conn) this.send(conn, new PresenceUpdate({ from: s.id, role: other.role, state: s.state }))
    }
    this.refill(slot)
    if (slot.tokens < 1) {
      slot.pending = state
      if (slot.timer === undefined) {
        const wait = Math.ceil(((1 - slot.tokens) / this.limits.ratePerSecond) * 1000)
        slot.timer = setTimeout(() => this.flush(conn), wait)
        slot.timer.unref()
      }
      return
    }
    slot.tokens -= 1
    this.relay(conn, slot, state)
  }

  /** `conn` left (closed, revoked, expired): forget its state and tell the others now. Idempotent. */
  drop(conn: Connection): void {
    const room = this.rooms.get(conn.workspaceId)
    const slot = room?.get(conn)
    if (room === undefined || slot === undefined) return
    clearTimeout(slot.timer)
    room.delete(conn)
    if (room.size === 0) this.rooms.delete(conn.workspaceId)
    for (const other of room.keys()) this.send(other, new PresenceGone({ from: slot.id }))
  }

  /** Presence sockets of a workspace (tests, metrics). */
  count(ws?: WorkspaceId): number {
    if (ws !== undefined) return this.rooms.get(ws)?.size ?? 0
    let n = 0
    for (const r of this.rooms.values()) n += r.size
    return n
  }

  private flush(conn: Connection): void {
    const slot = this.rooms.get(conn.workspaceId)?.get(conn)
    if (slot === undefined) return
    slot.timer = undefined
    const state = slot.pending
    slot.pending = undefined
    if (state !== undefined) this.update(conn, state)
  }

  private relay(conn: Connection, slot: Slot, state: string): void {
    slot.state = state
    const room = this.rooms.get(conn.workspaceId)!
    const msg = new PresenceUpdate({ from: slot.id, role: conn.role, state })
    for (const other of room.keys()) if (other !== conn) this.send(other, msg)
  }

  private refill(slot: Slot): void {
    const t = this.now()
    slot.tokens = Math.min(this.limits.burst, slot.tokens + ((t - slot.refilledAt) / 1000) * this.limits.ratePerSecond)
    slot.refilledAt = t
  }
}
