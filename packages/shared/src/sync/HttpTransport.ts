import type { DocId, WorkspaceId } from "@vibestack/schema"
import { Either, Schema } from "effect"
import { PushResponse, Registered, WorkspaceInfoResponse } from "../api/payloads.js"
import { decodeSafely } from "../protocol/decodeSafely.js"
import { DownText, Update } from "../protocol/down.js"
import type { WireError } from "../protocol/errors.js"
import { decodeFrame, encodeFrame } from "../protocol/frame.js"
import { PROTOCOL_VERSION } from "../protocol/version.js"
import { type Clock, systemClock } from "./Clock.js"
import { kindOfCloseCode, wireErrorOf } from "./httpErrors.js"
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
import type { WebSocketCtor, WebSocketLike } from "./WebSocketLike.js"

export interface HttpTransportOptions {
  /** e.g. `http://127.0.0.1:3000` */
  readonly baseUrl: string
  readonly WebSocket?: WebSocketCtor
  readonly fetch?: typeof fetch
  /** A hung response fails after this long (covers reading the body). */
  readonly requestTimeoutMs?: number
  readonly authTimeoutMs?: number
  /** A Ping goes out this often; no Pong by the next one means the socket is half-open. */
  readonly pingIntervalMs?: number
  readonly clock?: Clock
}

/**
 * JSON answers decode with the contract's schemas (`api/payloads.ts`), plus what the engine relies
 * on and the contract leaves open: a committed seq is at least 1, a cursor never negative.
 * The requests stay hand-made (one `request` with the engine's deadline and error kinds for
 * JSON and Loro bytes alike) rather than `HttpApiClient`, which would bring its own.
 */
const PushBody = PushResponse.pipe(Schema.filter((r) => r.seq >= 1 || "seq below 1"))
const InfoBody = WorkspaceInfoResponse.pipe(
  Schema.filter((i) => i.docs.every((d) => d.cursor >= 0) || "negative cursor"),
)
const decodeDown = decodeSafely(Schema.parseJson(DownText))
const decodeUpdateHeader = decodeSafely(Update)

const malformed = (what: string) => new TransportError("Internal", `malformed ${what} from server`)

const decodeJson = <A, I>(schema: Schema.Schema<A, I>, text: string, what: string): A => {
  const r = decodeSafely(Schema.parseJson(schema))(text)
  if (Either.isLeft(r)) throw malformed(what)
  return r.right
}

/** `Transport` over the public HTTP routes and the live WebSocket (ARCHITECTURE.md "Public surface"). */
export class HttpTransport implements Transport {
  private readonly base: string
  private readonly clock: Clock
  private readonly fetchFn: typeof fetch

  constructor(private readonly o: HttpTransportOptions) {
    this.base = o.baseUrl.replace(/\/+$/, "")
    this.clock = o.clock ?? systemClock
    this.fetchFn = o.fetch ?? ((input, init) => globalThis.fetch(input, init))
  }

  /** One request with a deadline; resolves to the status, headers and body, or a TransportError. */
  private async request(
    method: string,
    path: string,
    init: { token?: string; body?: Uint8Array | string; headers?: Record<string, string> },
  ): Promise<{ status: number; headers: Headers; body: Uint8Array }> {
    const ctrl = new AbortController()
    const timer = this.clock.setTimeout(() => ctrl.abort(), this.o.requestTimeoutMs ?? 15_000)
    try {
      const headers: Record<string, string> = { ...init.headers }
      if (init.token !== undefined) headers.authorization = `Bearer ${init.token}`
      const res = await this.fetchFn(`${this.base}${path}`, {
        method,
        headers,
        signal: ctrl.signal,
        // Loro bytes are a plain Uint8Array; DOM typings want an ArrayBuffer-backed view.
        ...(init.body !== undefined ? { body: init.body as unknown as RequestInit["body"] & string } : {}),
      })
      const body = new Uint8Array(await res.arrayBuffer())
      if (res.status >= 400) {
        const e = wireErrorOf(res.status, new TextDecoder().decode(body))
        throw new TransportError(e.kind, e.message)
      }
      return { status: res.status, headers: res.headers, body }
    } catch (e) {
      if (e instanceof TransportError) throw e
      throw new TransportError(
        "Unavailable",
        ctrl.signal.aborted ? `${method} ${path} timed out` : `network: ${String(e)}`,
      )
    } finally {
      this.clock.clearTimeout(timer)
    }
  }

  private docPath(ws: WorkspaceId, doc: DocId): string {
    return `/api/v1/workspaces/${encodeURIComponent(ws)}/docs/${encodeURIComponent(doc)}`
  }

  readonly register = async (ws: WorkspaceId, name: string, options?: { readonly creatorKey?: string }) => {
    const body = JSON.stringify({ id: ws, name, ...(options?.creatorKey ? { creatorKey: options.creatorKey } : {}) })
    const r = await this.request("POST", "/api/v1/workspaces", {
      body,
      headers: { "content-type": "application/json" },
    })
    const out = decodeJson(Registered, new TextDecoder().decode(r.body), "registration")
    if (out.workspaceId !== ws) throw malformed("registration (other workspace id)")
    return { masterToken: out.masterToken }
  }

  readonly info = async (token: string, ws: WorkspaceId): Promise<WorkspaceInfo> => {
    const r = await this.request("GET", `/api/v1/workspaces/${encodeURIComponent(ws)}`, { token })
    return decodeJson(InfoBody, new TextDecoder().decode(r.body), "workspace info")
  }

  readonly push = async (
    token: string,
    ws: WorkspaceId,
    doc: DocId,
    bytes: Uint8Array,
    idempotencyKey: string,
  ): Promise<PushResult> => {
    const r = await this.request("POST", `${this.docPath(ws, doc)}/updates`, {
      token,
      body: bytes,
      headers: { "content-type": "application/octet-stream", "idempotency-key": idempotencyKey },
    })
    return decodeJson(PushBody, new TextDecoder().decode(r.body), "push answer")
  }

  readonly pull = async (
    token: string,
    ws: WorkspaceId,
    doc: DocId,
    after: number,
    limit: number,
  ): Promise<PullPage> => {
    const r = await this.request("GET", `${this.docPath(ws, doc)}/updates?after=${after}&limit=${limit}`, { token })
    const page = decodePullPage(r.body, r.headers.get("x-vibestack-cursor"), r.headers.get("x-vibestack-more"), after)
    if (typeof page === "string") throw malformed(`pull body (${page})`)
    return page
  }

  readonly snapshot = async (token: string, ws: WorkspaceId, doc: DocId) => {
    const r = await this.request("GET", `${this.docPath(ws, doc)}/snapshot`, { token })
    const header = r.headers.get("x-vibestack-cursor")
    if (header === null || !/^\d{1,16}$/.test(header.trim())) throw malformed("snapshot cursor")
    return { bytes: r.body, cursor: Number(header.trim()) }
  }

  readonly connectLive = (token: string, ws: WorkspaceId, handlers: LiveHandlers): Promise<LiveConnection> => {
    const Ctor = this.o.WebSocket ?? (globalThis as { WebSocket?: WebSocketCtor }).WebSocket
    if (!Ctor) return Promise.reject(new TransportError("Internal", "no WebSocket implementation"))
    const url = `${this.base.replace(/^http/, "ws")}/api/v1/workspaces/${encodeURIComponent(ws)}/live`
    return new Promise((resolve, reject) => {
      let sock: WebSocketLike
      try {
        sock = new Ctor(url)
      } catch (e) {
        return reject(new TransportError("Unavailable", `socket: ${String(e)}`))
      }
      sock.binaryType = "arraybuffer"
      let authed = false
      let done = false
      let fault: WireError | undefined
      let heartbeat: unknown
      let awaitingPong = false
      let pingId = 0
      let requestId = 0
      const pushes = new Map<number, { resolve: (r: PushResult) => void; reject: (e: TransportError) => void }>()
      const clock = this.clock
      const authTimer = clock.setTimeout(
        () => finish({ kind: "Unavailable", message: "no AuthOk in time" }),
        this.o.authTimeoutMs ?? 10_000,
      )
      /** Ends the connection once: rejects before auth, reports onClose after. */
      const finish = (error: WireError | undefined, notify = true) => {
        if (done) return
        done = true
        clock.clearTimeout(authTimer)
        if (heartbeat !== undefined) clock.clearTimeout(heartbeat)
        try {
          sock.close(1000)
        } catch {}
        // A push whose answer never came may or may not have committed: the engine sends it
        // again under the same key (C4).
        const lost = new TransportError("Unavailable", `socket closed before the push was answered`)
        for (const p of pushes.values()) p.reject(lost)
        pushes.clear()
        if (!authed) reject(new TransportError(error?.kind ?? "Unavailable", error?.message ?? "socket closed"))
        else if (notify) handlers.onClose(error)
      }
      const push = (docId: DocId, bytes: Uint8Array, idempotencyKey: string): Promise<PushResult> => {
        if (done) return Promise.reject(new TransportError("Unavailable", "socket closed"))
        const id = ++requestId
        const answer = new Promise<PushResult>((resolve, reject) => pushes.set(id, { resolve, reject }))
        try {
          sock.send(encodeFrame({ _tag: "Push", docId, requestId: id, idempotencyKey }, bytes))
        } catch {
          finish({ kind: "Unavailable", message: "send failed" })
        }
        return answer
      }
      const beat = () => {
        if (done) return
        if (awaitingPong) return finish({ kind: "Unavailable", message: "heartbeat missed: half-open socket" })
        awaitingPong = true
        send({ _tag: "Ping", id: ++pingId })
        heartbeat = clock.setTimeout(beat, this.o.pingIntervalMs ?? 15_000)
      }
      const send = (msg: unknown) => {
        try {
          sock.send(JSON.stringify(msg))
        } catch {
          finish({ kind: "Unavailable", message: "send failed" })
        }
      }
      sock.onopen = () => send({ _tag: "Auth", token, protocolVersion: PROTOCOL_VERSION })
      sock.onerror = () => undefined
      sock.onclose = (ev) =>
        finish(fault ?? { kind: kindOfCloseCode(ev.code), message: `closed ${ev.code} ${ev.reason}` })
      sock.onmessage = (ev) => {
        if (done) return
        if (typeof ev.data === "string") {
          const msg = decodeDown(ev.data)
          if (Either.isLeft(msg)) return finish({ kind: "Internal", message: "malformed message from server" })
          const m = msg.right
          if (m._tag === "AuthOk") {
            if (authed) return
            authed = true
            clock.clearTimeout(authTimer)
            heartbeat = clock.setTimeout(beat, this.o.pingIntervalMs ?? 15_000)
            resolve({
              subscribe: (docId) => send({ _tag: "Subscribe", docId }),
              push,
              close: () => finish(undefined, false),
            })
          } else if (m._tag === "Subscribed") handlers.onSubscribed?.(m.docId, m.cursor)
          else if (m._tag === "PushAck" || m._tag === "PushRejected") {
            awaitingPong = false
            const p = pushes.get(m.requestId)
            pushes.delete(m.requestId)
            if (m._tag === "PushAck") p?.resolve({ seq: m.seq, duplicate: m.duplicate })
            else p?.reject(new TransportError(m.error.kind, m.error.message))
          } else if (m._tag === "Pong") awaitingPong = false
          else if (m._tag === "Fault") fault = { kind: m.kind, message: m.message }
          return
        }
        if (!authed) return finish({ kind: "Internal", message: "binary frame before AuthOk" })
        const data =
          ev.data instanceof ArrayBuffer ? new Uint8Array(ev.data) : ev.data instanceof Uint8Array ? ev.data : undefined
        const frame = data ? decodeFrame(data) : "unknown frame type"
        if (typeof frame === "string") return finish({ kind: "Internal", message: frame })
        const header = decodeUpdateHeader(frame.header)
        if (Either.isLeft(header) || header.right.seq < 1)
          return finish({ kind: "Internal", message: "bad update header" })
        // Any traffic proves the socket is alive.
        awaitingPong = false
        handlers.onUpdate(header.right.docId, header.right.seq, frame.blob.slice())
      }
    })
  }
}
