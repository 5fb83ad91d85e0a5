import { newId, type Role } from "@vibestack/schema"
import { CloseCode, DownText, decodeSafely, PROTOCOL_VERSION } from "@vibestack/shared"
import { Either, Schema } from "effect"
import { EphemeralStore } from "loro-crdt"

/** What a tab shares about itself (server rule S26, client rule C17). */
export type PresenceState = {
  readonly name: string
  readonly color: string
  readonly memberId?: string
  /** The task it has open, and whether it is editing that task's description. */
  readonly taskId?: string
  readonly typing?: boolean
  /** Where its caret is in that description: a Loro `Cursor`, base64 (see `caret.ts`). */
  readonly caret?: string
}

export type Peer = PresenceState & {
  /** Unique per tab. */
  readonly key: string
  readonly role: Role
}

type States = Record<string, PresenceState>

/** A state not refreshed for this long is gone (a tab that vanished without a close). */
const EXPIRE_MS = 30_000
/** Every tab re-sends its state this often, so others' copies never expire while it is here. */
const REFRESH_MS = 10_000
/** At most one frame per this many ms (the server allows 5 per second on average). */
const MIN_GAP_MS = 250
/** The server will never take this token again: stop, do not retry. */
const FOR_GOOD = new Set<number>([
  CloseCode.Unauthorized,
  CloseCode.Forbidden,
  CloseCode.TokenRevoked,
  CloseCode.ClientTooOld,
])

const decodeDown = decodeSafely(Schema.parseJson(DownText))
const toBase64 = (bytes: Uint8Array): string => btoa(String.fromCharCode(...bytes))
const fromBase64 = (s: string): Uint8Array => Uint8Array.from(atob(s), (c) => c.charCodeAt(0))

/**
 * This tab's presence socket: its own `Auth` on the workspace's live socket, no subscriptions,
 * only presence frames (the sync engine's socket in the worker is left alone). The tab's state
 * is one key of a Loro `EphemeralStore`; each other socket's states live in their own store,
 * dropped whole when the server says it left (`PresenceGone`: closed, revoked) or when the
 * socket here closes. Never persisted anywhere.
 */
export class PresenceChannel {
  private readonly key = newId<string>()
  private readonly local = new EphemeralStore<States>(EXPIRE_MS)
  private readonly remote = new Map<string, { store: EphemeralStore<States>; role: Role; off: () => void }>()
  private socket: WebSocket | undefined
  private stopped = false
  private authed = false
  private retryMs = 1_000
  private sentAt = 0
  private sendTimer: ReturnType<typeof setTimeout> | undefined
  private retryTimer: ReturnType<typeof setTimeout> | undefined
  private readonly refresh: ReturnType<typeof setInterval>

  constructor(
    private readonly workspaceId: string,
    private readonly token: string,
    private readonly onChange: () => void,
  ) {
    this.refresh = setInterval(() => {
      const mine = this.local.get(this.key)
      if (mine !== undefined) this.set(mine)
    }, REFRESH_MS)
    this.connect()
  }

  /** Replaces this tab's state; sent at once, or coalesced with the next one within 250 ms. */
  set(state: PresenceState): void {
    this.local.set(this.key, state)
    this.scheduleSend()
  }

  /** Everyone else here now (one entry per tab). */
  peers(): ReadonlyArray<Peer> {
    const out: Array<Peer> = []
    for (const { store, role } of this.remote.values())
      for (const [key, s] of Object.entries(store.getAllStates())) if (s !== undefined) out.push({ ...s, key, role })
    return out
  }

  stop(): void {
    this.stopped = true
    clearInterval(this.refresh)
    clearTimeout(this.sendTimer)
    clearTimeout(this.retryTimer)
    this.socket?.close(CloseCode.Normal)
    this.forgetAll()
    this.local.destroy()
  }

  private connect(): void {
    if (this.stopped) return
    const url = `${location.origin.replace(/^http/, "ws")}/api/v1/workspaces/${encodeURIComponent(this.workspaceId)}/live`
    const socket = new WebSocket(url)
    this.socket = socket
    socket.onopen = () =>
      socket.send(JSON.stringify({ _tag: "Auth", token: this.token, protocolVersion: PROTOCOL_VERSION }))
    socket.onmessage = (ev) => {
      if (typeof ev.data !== "string") return
      const msg = decodeDown(ev.data)
      if (Either.isLeft(msg)) return
      const m = msg.right
      if (m._tag === "AuthOk") {
        this.authed = true
        this.retryMs = 1_000
        this.sentAt = 0
        this.scheduleSend()
      } else if (m._tag === "PresenceUpdate") this.applyRemote(m.from, m.role, m.state)
      else if (m._tag === "PresenceGone") this.forget(m.from)
    }
    socket.onclose = (ev) => {
      this.authed = false
      this.forgetAll()
      if (this.stopped || FOR_GOOD.has(ev.code)) return
      this.retryTimer = setTimeout(() => this.connect(), this.retryMs * (0.75 + Math.random() / 2))
      this.retryMs = Math.min(this.retryMs * 2, 30_000)
    }
  }

  private scheduleSend(): void {
    if (!this.authed || this.sendTimer !== undefined) return
    const wait = Math.max(0, this.sentAt + MIN_GAP_MS - Date.now())
    this.sendTimer = setTimeout(() => {
      this.sendTimer = undefined
      if (!this.authed || this.socket?.readyState !== WebSocket.OPEN) return
      if (this.local.get(this.key) === undefined) return
      this.sentAt = Date.now()
      this.socket.send(JSON.stringify({ _tag: "Presence", state: toBase64(this.local.encode(this.key)) }))
    }, wait)
  }

  private applyRemote(from: string, role: Role, state: string): void {
    let entry = this.remote.get(from)
    if (entry === undefined) {
      const store = new EphemeralStore<States>(EXPIRE_MS)
      // Expiry (a tab gone silent) changes what is shown too.
      entry = { store, role, off: store.subscribe(() => this.onChange()) }
      this.remote.set(from, entry)
    }
    try {
      entry.store.apply(fromBase64(state))
    } catch {
      // Not an EphemeralStore update: another client's problem, ignored here.
    }
    this.onChange()
  }

  private forget(from: string): void {
    const entry = this.remote.get(from)
    if (entry === undefined) return
    entry.off()
    entry.store.destroy()
    this.remote.delete(from)
    this.onChange()
  }

  private forgetAll(): void {
    for (const from of [...this.remote.keys()]) this.forget(from)
  }
}
