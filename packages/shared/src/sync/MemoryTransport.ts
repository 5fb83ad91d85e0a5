import type { DocId, WorkspaceId } from "@vibestack/schema"
import type { WireError } from "../protocol/errors.js"
import { type MemoryServer, MemoryServerError } from "./MemoryServer.js"
import { decodePullPage } from "./pullPage.js"
import {
  type LiveConnection,
  type LiveHandlers,
  type PullPage,
  type PushResult,
  type Transport,
  TransportError,
  type WorkspaceInfo,
} from "./Transport.js"

/**
 * - failBeforeCommit: the request fails before the server does anything (Unavailable)
 * - dropAfterCommit: the push commits, then the response is lost (Unavailable)
 * - garbageBody: a pull body arrives corrupted (framing broken)
 * - garbageBlob: a pull body is well framed but one blob is not a Loro update
 * - closeSocket: the live socket drops (checked on every delivery)
 * - loseLive: one live update is silently never sent (a server missed the commit's NOTIFY)
 */
export type FaultKind =
  | "failBeforeCommit"
  | "dropAfterCommit"
  | "garbageBody"
  | "garbageBlob"
  | "closeSocket"
  | "loseLive"

export interface MemoryTransportOptions {
  /** Per-request fault probabilities, drawn from `random`. */
  readonly faults?: Partial<Record<FaultKind, number>>
  readonly random?: () => number
}

/** Settles on a later microtask, like a network answer, so calls interleave. */
const later = async (): Promise<void> => {
  for (let i = 0; i < 3; i++) await Promise.resolve()
}

const wrap = (e: unknown): TransportError =>
  e instanceof TransportError
    ? e
    : e instanceof MemoryServerError
      ? new TransportError(e.kind, e.message)
      : new TransportError("Internal", String(e))

/** One client's view of a `MemoryServer`, with a network switch and fault injection. */
export class MemoryTransport implements Transport {
  private online = true
  private readonly sockets = new Set<{ readonly close: (error: WireError | undefined) => void }>()
  private readonly once: Array<FaultKind> = []
  faults: Partial<Record<FaultKind, number>>
  private readonly random: () => number

  constructor(
    readonly server: MemoryServer,
    options: MemoryTransportOptions = {},
  ) {
    this.faults = options.faults ?? {}
    this.random = options.random ?? Math.random
  }

  /** Offline: every call fails with Unavailable and open sockets close. */
  setOnline(online: boolean): void {
    this.online = online
    if (!online) for (const s of [...this.sockets]) s.close({ kind: "Unavailable", message: "network down" })
  }

  /** Injects `kind` at the next request it applies to. */
  failNext(kind: FaultKind): void {
    this.once.push(kind)
    if (kind === "closeSocket") for (const s of [...this.sockets]) s.close(undefined)
  }

  private fault(kind: FaultKind): boolean {
    const i = this.once.indexOf(kind)
    if (i >= 0) {
      this.once.splice(i, 1)
      return true
    }
    const p = this.faults[kind] ?? 0
    return p > 0 && this.random() < p
  }

  private async call<A>(f: () => A): Promise<A> {
    await later()
    if (!this.online || this.fault("failBeforeCommit")) throw new TransportError("Unavailable", "request failed")
    try {
      return f()
    } catch (e) {
      throw wrap(e)
    }
  }

  readonly register = (ws: WorkspaceId, name: string, options?: { readonly creatorKey?: string }) =>
    this.call(() => this.server.register(ws, name, options?.creatorKey))

  readonly info = (token: string, ws: WorkspaceId): Promise<WorkspaceInfo> =>
    this.call(() => {
      const { role, name } = this.server.auth(token, ws)
      return { workspaceId: ws, name, role, docs: this.server.docs(ws) }
    })

  readonly push = async (
    token: string,
    ws: WorkspaceId,
    doc: DocId,
    bytes: Uint8Array,
    key: string,
  ): Promise<PushResult> => {
    const r = await this.call(() => this.server.push(token, ws, doc, bytes, key))
    await later()
    if (!this.online || this.fault("dropAfterCommit")) throw new TransportError("Unavailable", "response lost")
    return r
  }

  readonly pull = async (
    token: string,
    ws: WorkspaceId,
    doc: DocId,
    after: number,
    limit: number,
  ): Promise<PullPage> => {
    const r = await this.call(() => this.server.pull(token, ws, doc, after, limit))
    let body = r.body
    if (body.length > 0 && this.fault("garbageBody")) body = body.slice(0, body.length - 1)
    const page = decodePullPage(body, r.cursor, r.more, after)
    if (typeof page === "string") throw new TransportError("Internal", `malformed pull body: ${page}`)
    if (page.updates.length > 0 && this.fault("garbageBlob")) {
      const [first, ...rest] = page.updates
      return { ...page, updates: [{ seq: first!.seq, bytes: new Uint8Array([1, 2, 3, 4, 5]) }, ...rest] }
    }
    return page
  }

  readonly snapshot = (token: string, ws: WorkspaceId, doc: DocId) =>
    this.call(() => this.server.snapshot(token, ws, doc))

  readonly connectLive = async (token: string, ws: WorkspaceId, handlers: LiveHandlers): Promise<LiveConnection> =>
    this.call(() => {
      this.server.auth(token, ws)
      let open = true
      const docs = new Set<string>()
      const socket = {
        close: (error: WireError | undefined) => {
          if (!open) return
          open = false
          unsubscribe()
          this.sockets.delete(socket)
          queueMicrotask(() => handlers.onClose(error))
        },
      }
      const unsubscribe = this.server.subscribe({
        ws,
        token,
        docs,
        deliver: (doc, seq, bytes) =>
          queueMicrotask(() => {
            if (!open) return
            if (this.fault("closeSocket")) return socket.close(undefined)
            if (this.fault("loseLive")) return
            handlers.onUpdate(doc, seq, bytes)
          }),
        kick: (kind, message) => socket.close({ kind, message }),
      })
      this.sockets.add(socket)
      const closed = () => new TransportError("Unavailable", "socket closed before the push was answered")
      return {
        subscribe: (doc: DocId) => {
          docs.add(doc)
          const cursor = this.server.cursorOf(ws, doc)
          queueMicrotask(() => open && handlers.onSubscribed?.(doc, cursor))
        },
        // Frames are handled in the order they were sent (microtasks run first in, first out).
        push: async (doc: DocId, bytes: Uint8Array, key: string): Promise<PushResult> => {
          await later()
          if (!open) throw closed()
          if (this.fault("failBeforeCommit")) {
            socket.close(undefined)
            throw closed()
          }
          let r: PushResult
          try {
            r = this.server.push(token, ws, doc, bytes, key)
          } catch (e) {
            throw wrap(e)
          }
          await later()
          if (!open) throw closed()
          if (this.fault("dropAfterCommit")) {
            socket.close(undefined)
            throw closed()
          }
          return r
        },
        close: () => {
          if (!open) return
          open = false
          unsubscribe()
          this.sockets.delete(socket)
        },
      }
    })
}
