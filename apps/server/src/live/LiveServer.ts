import type { Duplex } from "node:stream"
import type { DocId, WorkspaceId } from "@vibestack/schema"
import {
  AuthOk,
  CloseCode,
  decodeFrame,
  decodeSafely,
  Fault,
  MIN_CLIENT_PROTOCOL_VERSION,
  Pong,
  PROTOCOL_VERSION,
  PushAck,
  PushRejected,
  Subscribed,
  UpBinaryHeader,
  UpText,
} from "@vibestack/shared"
import { Cause, Context, Effect, Either, Layer, PubSub, Queue, Runtime, Schema } from "effect"
import { type RawData, type WebSocket, WebSocketServer } from "ws"
import { Tokens } from "../auth/Tokens.js"
import { Bus } from "../bus/Bus.js"
import { answerAndClose, type NodeServer, rawErrorResponse } from "../http/NodeServer.js"
import { allowedOrigins, originAllowed } from "../http/origins.js"
import { Metrics } from "../metrics/Metrics.js"
import { ServerConfigTag } from "../ServerConfigTag.js"
import { ByteStore } from "../store/ByteStore.js"
import { CommitHub } from "../store/CommitHub.js"
import { PushService } from "../store/PushService.js"
import { type Connection, defaultLiveLimits, type LiveLimits } from "./Connection.js"
import { FanOut } from "./FanOut.js"
import { PresenceRelay } from "./PresenceRelay.js"
import { checkUpgrade, isLivePath, type UpgradeRefusal } from "./upgradeCheck.js"

/** RFC 6455: the server hit an unexpected condition. */
const INTERNAL_ERROR = 1011
const decodeUpText = decodeSafely(Schema.parseJson(UpText))
const decodePushHeader = decodeSafely(UpBinaryHeader)

export class HttpNodeServer extends Context.Tag("HttpNodeServer")<HttpNodeServer, NodeServer>() {}

/**
 * The live socket `/api/v1/workspaces/:ws/live` (see packages/shared/SPEC.md): token in
 * the first frame within the auth timeout, then Subscribe/Ping text frames and binary
 * Push frames; the server sends committed updates of subscribed documents as binary
 * frames. Served by `ws` directly so message size, backpressure and heartbeats are ours.
 */
export const LiveServerLive = (limits: LiveLimits = defaultLiveLimits) =>
  Layer.scopedDiscard(
    Effect.gen(function* () {
      const node = yield* HttpNodeServer
      const tokens = yield* Tokens
      const store = yield* ByteStore
      const pushes = yield* PushService
      const bus = yield* Bus
      const metrics = yield* Metrics
      const config = yield* ServerConfigTag
      const hub = yield* CommitHub
      const runtime = yield* Effect.runtime<never>()
      const run = Runtime.runPromise(runtime)
      const connections = new Set<Connection>()
      let pending = 0

      const wss = new WebSocketServer({
        noServer: true,
        // One frame carries at most one update plus its small header.
        maxPayload: config.maxUpdateBytes + 4096,
        perMessageDeflate: false,
      })

      const close = (socket: WebSocket, code: number, reason: string) => {
        if (socket.readyState === socket.OPEN || socket.readyState === socket.CONNECTING) socket.close(code, reason)
        // A peer that does not answer the close handshake is cut off.
        setTimeout(() => socket.terminate(), 2_000).unref()
      }
      const sendJson = (conn: Connection | WebSocket, msg: unknown) => {
        const socket = "socket" in conn ? conn.socket : conn
        if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(msg))
      }
      const sendFrame = (conn: Connection, frame: Uint8Array) => {
        if (conn.socket.readyState !== conn.socket.OPEN) return
        // Backpressure: a reader that lets this much pile up is closed, never buffered forever.
        if (conn.socket.bufferedAmount + frame.length > limits.maxBufferedBytes) {
          metrics.inc("vibestack_live_slow_consumers_total")
          sendJson(conn, new Fault({ kind: "Overloaded", message: "too slow: reconnect and catch up by pull" }))
          close(conn.socket, CloseCode.SlowConsumer, "slow consumer")
          return
        }
        conn.socket.send(frame)
      }

      const fanOut = new FanOut(
        (ws, doc, after) => run(store.pull(ws, doc, after, 500, 4 * 1024 * 1024)),
        sendFrame,
        (ms) => metrics.observe("vibestack_fanout_seconds", ms / 1000),
        hub.origin,
      )

      // This node's own commits go out from memory, grouped by document in seq order.
      const offCommits = hub.subscribe({
        committed: (updates) => {
          const byDoc = new Map<string, Array<(typeof updates)[number]>>()
          for (const u of updates) {
            const k = `${u.ws}\u0000${u.doc}`
            const list = byDoc.get(k)
            if (list === undefined) byDoc.set(k, [u])
            else list.push(u)
          }
          for (const list of byDoc.values()) fanOut.committed(list[0]!.ws, list[0]!.doc, list)
        },
        recheck: (docs) => {
          for (const d of docs) fanOut.recheck(d.ws, d.doc)
        },
      })
      yield* Effect.addFinalizer(() => Effect.sync(offCommits))
      // Commits on other nodes reach this one through LISTEN/NOTIFY (its own: see `announced`).
      const updates = yield* PubSub.subscribe(bus.updates)
      yield* Queue.take(updates).pipe(
        Effect.tap((s) => Effect.sync(() => fanOut.announced(s.ws as WorkspaceId, s.doc as DocId, s.seq, s.t, s.n))),
        Effect.forever,
        Effect.forkScoped,
      )
      const presence = new PresenceRelay((conn, msg) => sendJson(conn, msg))
      const closeToken = (tokenId: string) => {
        for (const c of connections)
          if (c.tokenId === tokenId) {
            // Others stop seeing a revoked person now, not after the close handshake (S26).
            presence.drop(c)
            sendJson(c, new Fault({ kind: "Unauthorized", message: "token revoked" }))
            close(c.socket, CloseCode.TokenRevoked, "token revoked")
          }
      }
      // Notifications sent while this node's LISTEN was down are lost: re-read every open
      // document, and re-check every open socket's token (a revocation may be among them).
      const missed = yield* PubSub.subscribe(bus.resync)
      yield* Queue.take(missed).pipe(
        Effect.tap(() => Effect.sync(() => fanOut.resyncAll())),
        Effect.zipRight(
          Effect.suspend(() => tokens.invalidAmong([...new Set([...connections].map((c) => c.tokenId))])).pipe(
            Effect.tap((ids) => Effect.sync(() => ids.forEach(closeToken))),
            Effect.catchAllCause((cause) => Effect.logWarning("re-checking live sockets' tokens failed", cause)),
          ),
        ),
        Effect.forever,
        Effect.forkScoped,
      )
      // Revocation on any node closes this node's sockets of that token at once.
      const revoked = yield* PubSub.subscribe(bus.tokens)
      yield* Queue.take(revoked).pipe(
        Effect.tap((s) => Effect.sync(() => closeToken(s.tokenId))),
        Effect.forever,
        Effect.forkScoped,
      )

      const onAuthed = async (socket: WebSocket, ws: WorkspaceId, text: string): Promise<Connection | undefined> => {
        const msg = decodeUpText(text)
        if (Either.isLeft(msg) || msg.right._tag !== "Auth") {
          close(socket, CloseCode.Unauthorized, "first frame must be Auth")
          return undefined
        }
        if ((msg.right.protocolVersion ?? PROTOCOL_VERSION) < MIN_CLIENT_PROTOCOL_VERSION) {
          sendJson(
            socket,
            new Fault({ kind: "ClientTooOld", message: `protocol ${MIN_CLIENT_PROTOCOL_VERSION}+ required` }),
          )
          close(socket, CloseCode.ClientTooOld, "client too old")
          return undefined
        }
        const principal = await run(Effect.either(tokens.verify(msg.right.token)))
        if (Either.isLeft(principal)) {
          sendJson(socket, new Fault(principal.left.error))
          close(socket, CloseCode.Unauthorized, principal.left.error.message.slice(0, 100))
          return undefined
        }
        if (principal.right.workspaceId !== ws) {
          sendJson(socket, new Fault({ kind: "Forbidden", message: "this token is not valid for this workspace" }))
          close(socket, CloseCode.Forbidden, "wrong workspace")
          return undefined
        }
        const docs = await run(Effect.orElseSucceed(store.docCursors(ws), () => []))
        if (socket.readyState !== socket.OPEN) return undefined
        const conn: Connection = {
          socket,
          workspaceId: ws,
          role: principal.right.role,
          tokenId: principal.right.tokenId,
          validUntil: principal.right.validUntil,
          docs: new Set(),
          inFlight: 0,
          alive: true,
        }
        connections.add(conn)
        sendJson(conn, new AuthOk({ workspaceId: ws, role: conn.role, protocolVersion: PROTOCOL_VERSION, docs }))
        return conn
      }

      const onText = async (conn: Connection, text: string) => {
        const msg = decodeUpText(text)
        if (Either.isLeft(msg)) return close(conn.socket, CloseCode.InvalidPayload, "malformed message")
        const m = msg.right
        switch (m._tag) {
          case "Auth":
            return close(conn.socket, CloseCode.PolicyViolation, "already authenticated")
          case "Ping":
            return sendJson(conn, new Pong(m.id === undefined ? {} : { id: m.id }))
          case "Presence":
            // A socket being closed (revoked, expired) says nothing more.
            if (conn.socket.readyState !== conn.socket.OPEN) return
            return presence.update(conn, m.state)
          case "Unsubscribe":
            conn.docs.delete(m.docId)
            return fanOut.unsubscribe(conn, m.docId)
          case "Subscribe": {
            if (conn.docs.has(m.docId)) return
            if (conn.docs.size >= limits.maxSubscriptions)
              return close(conn.socket, CloseCode.PolicyViolation, "too many subscriptions")
            conn.docs.add(m.docId)
            // Register, then read the head (S9): anything committed after the answered cursor is
            // sent live, including what other subscribers were sent while the head was read.
            fanOut.subscribe(conn, m.docId)
            const head = (await run(Effect.orElseSucceed(store.docCursor(conn.workspaceId, m.docId), () => 0))) ?? 0
            const cursor = fanOut.joined(conn, m.docId, head)
            return sendJson(conn, new Subscribed({ docId: m.docId, cursor }))
          }
        }
      }

      const onBinary = async (conn: Connection, data: Uint8Array) => {
        const frame = decodeFrame(data)
        if (typeof frame === "string") return close(conn.socket, CloseCode.InvalidPayload, frame)
        const header = decodePushHeader(frame.header)
        if (Either.isLeft(header)) return close(conn.socket, CloseCode.InvalidPayload, "malformed push header")
        const { requestId, docId, idempotencyKey } = header.right
        const reject = (kind: "Forbidden" | "Overloaded", message: string) =>
          sendJson(conn, new PushRejected({ requestId, error: { kind, message } }))
        if (conn.role === "viewer") return reject("Forbidden", "viewers cannot push")
        if (conn.inFlight >= limits.maxInFlightPushes) return reject("Overloaded", "too many pushes in flight")
        conn.inFlight++
        try {
          const out = await pushes.submit({
            ws: conn.workspaceId,
            doc: docId,
            bytes: frame.blob,
            idempotencyKey,
            clientId: undefined,
          })
          if (out.ok) sendJson(conn, new PushAck({ requestId, ...out.outcome }))
          else sendJson(conn, new PushRejected({ requestId, error: out.error.error }))
        } finally {
          conn.inFlight--
        }
      }

      // A handler that fails unexpectedly (a defect) closes its socket and is logged; it never
      // becomes an unhandled rejection that could take the process down (S14).
      const guard = (socket: WebSocket, handling: Promise<unknown>) =>
        handling.catch((error: unknown) => {
          metrics.inc("vibestack_handler_errors_total", { where: "live" })
          run(Effect.logError("live socket handler failed; socket closed", Cause.die(error))).catch(() => {})
          close(socket, INTERNAL_ERROR, "internal error")
        })

      // An expired token is treated like a revoked one: the socket closes when it stops being honoured.
      const closeWhenExpired = (conn: Connection): (() => void) => {
        let timer: NodeJS.Timeout | undefined
        const check = () => {
          const left = conn.validUntil.getTime() - Date.now()
          // setTimeout takes at most 2^31-1 ms (master tokens live for years): re-arm until due.
          if (left > 0) timer = setTimeout(check, Math.min(left, 2 ** 31 - 1))
          else {
            metrics.inc("vibestack_live_expired_total")
            presence.drop(conn)
            sendJson(conn, new Fault({ kind: "Unauthorized", message: "token expired" }))
            close(conn.socket, CloseCode.TokenRevoked, "token expired")
          }
        }
        check()
        return () => clearTimeout(timer)
      }

      const onConnection = (socket: WebSocket, ws: WorkspaceId) => {
        let conn: Connection | undefined
        let authing = false
        let stopExpiry = () => {}
        const authTimer = setTimeout(() => {
          if (!conn) close(socket, CloseCode.AuthTimeout, "no Auth in time")
        }, limits.authTimeoutMs)
        socket.on("pong", () => {
          if (conn) conn.alive = true
        })
        socket.on("message", (data: RawData, isBinary: boolean) => {
          // `ws` hands a Buffer (binaryType "nodebuffer"): used as is, not copied.
          const bytes = Buffer.isBuffer(data)
            ? data
            : Array.isArray(data)
              ? Buffer.concat(data)
              : Buffer.from(data as ArrayBuffer)
          if (!conn) {
            // Nothing is processed before Auth; a second frame before AuthOk is a violation.
            if (authing || isBinary) return close(socket, CloseCode.Unauthorized, "frames before Auth")
            authing = true
            guard(
              socket,
              onAuthed(socket, ws, bytes.toString("utf8")).then((c) => {
                conn = c
                clearTimeout(authTimer)
                if (c) stopExpiry = closeWhenExpired(c)
              }),
            )
            return
          }
          const c = conn
          if (isBinary) guard(socket, onBinary(c, new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)))
          else guard(socket, onText(c, bytes.toString("utf8")))
        })
        socket.on("close", () => {
          clearTimeout(authTimer)
          stopExpiry()
          if (!conn) return
          presence.drop(conn)
          connections.delete(conn)
          for (const d of conn.docs) fanOut.unsubscribe(conn, d)
        })
        socket.on("error", () => socket.terminate())
      }

      // Compared with the configured and listen origins, never the request's Host (DNS rebinding).
      const origins = allowedOrigins(config)
      const reject = (socket: Duplex, refusal: UpgradeRefusal) =>
        answerAndClose(socket, rawErrorResponse(refusal.status, refusal.kind, refusal.message, refusal.headers))

      const removeHandler = node.addUpgradeHandler((req, socket, head) => {
        const match = isLivePath(req.url)
        if (!match) return false
        const ws = checkUpgrade(req, match[1]!)
        if (Either.isLeft(ws)) reject(socket, ws.left)
        else if (!originAllowed(origins, req.headers.origin))
          reject(socket, { status: 403, kind: "Forbidden", message: "origin not allowed" })
        else if (connections.size + pending >= limits.maxConnections)
          reject(socket, {
            status: 503,
            kind: "Overloaded",
            message: "too many connections",
            headers: { "Retry-After": "5" },
          })
        else {
          // Counted until upgraded or gone: `ws` drops a socket that closed meanwhile without calling back.
          pending++
          let counted = true
          const settle = () => {
            if (counted) pending--
            counted = false
          }
          socket.once("close", settle)
          wss.handleUpgrade(req, socket, head, (s) => {
            settle()
            onConnection(s, ws.right)
          })
        }
        return true
      })

      // Heartbeat: a socket that did not answer the last ping is half-open; cut it off.
      const heartbeat = setInterval(() => {
        for (const c of connections) {
          if (!c.alive) {
            c.socket.terminate()
            continue
          }
          c.alive = false
          c.socket.ping()
        }
      }, limits.heartbeatMs)

      metrics.gauge("vibestack_live_sockets", () => connections.size, "open authenticated live sockets")
      metrics.gauge("vibestack_live_docs_followed", () => fanOut.docsFollowed, "documents with local subscribers")
      metrics.gauge("vibestack_live_presence_sockets", () => presence.count(), "live sockets sharing presence (S26)")

      yield* Effect.addFinalizer(() =>
        Effect.sync(() => {
          clearInterval(heartbeat)
          removeHandler()
          for (const c of connections) close(c.socket, CloseCode.ServerShutdown, "server shutting down")
          wss.close()
        }),
      )
    }),
  )
