import type { Duplex } from "node:stream"
import type { DocId, WorkspaceId } from "@vibestack/schema"
import { CloseCode, Fault } from "@vibestack/shared"
import { Cause, Context, Effect, Either, FiberSet, Layer, PubSub, Queue } from "effect"
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
import * as protocol from "./protocol.js"
import { checkUpgrade, isLivePath, type UpgradeRefusal } from "./upgradeCheck.js"

/** RFC 6455: the server hit an unexpected condition. */
const INTERNAL_ERROR = 1011

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
      // Effect's Clock, read synchronously from socket callbacks (token expiry).
      const clock = yield* Effect.clock
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
      const sendJson = (socket: WebSocket, msg: unknown) => {
        if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(msg))
      }
      const sendFrame = (conn: Connection, frame: Uint8Array) => {
        if (conn.socket.readyState !== conn.socket.OPEN) return
        // Backpressure: a reader that lets this much pile up is closed, never buffered forever.
        if (conn.socket.bufferedAmount + frame.length > limits.maxBufferedBytes) {
          metrics.inc("vibestack_live_slow_consumers_total")
          sendJson(conn.socket, new Fault({ kind: "Overloaded", message: "too slow: reconnect and catch up by pull" }))
          close(conn.socket, CloseCode.SlowConsumer, "slow consumer")
          return
        }
        conn.socket.send(frame)
      }

      // Every Effect a live socket starts (token check, cursor reads, the fan-out's log reads)
      // runs in this set, tied to the server's scope: shutdown interrupts them all.
      const runFork = yield* FiberSet.makeRuntime<never>()
      const runPromise = yield* FiberSet.makeRuntimePromise<never>()

      // A handler that fails unexpectedly (a defect) closes its socket and is logged; it never
      // becomes an unhandled rejection that could take the process down (S14).
      const failed = (socket: WebSocket, cause: Cause.Cause<unknown>) => {
        metrics.inc("vibestack_handler_errors_total", { where: "live" })
        close(socket, INTERNAL_ERROR, "internal error")
        runFork(Effect.logError("live socket handler failed; socket closed", cause))
      }
      const supervised = (socket: WebSocket, effect: Effect.Effect<void>) =>
        runFork(
          Effect.catchAllCause(effect, (cause) =>
            Cause.isInterruptedOnly(cause) ? Effect.void : Effect.sync(() => failed(socket, cause)),
          ),
        )

      const fanOut = new FanOut(
        (ws, doc, after) => runPromise(store.pull(ws, doc, after, 500, 4 * 1024 * 1024)),
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
      const offUpdates = bus.onUpdates((s) => fanOut.announced(s.ws as WorkspaceId, s.doc as DocId, s.seq, s.t, s.n))
      yield* Effect.addFinalizer(() => Effect.sync(offUpdates))
      const presence = new PresenceRelay((conn, msg) => sendJson(conn.socket, msg))
      const closeToken = (tokenId: string) => {
        for (const c of connections) if (c.tokenId === tokenId) c.feed({ _tag: "Revoked" })
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

      // An expired token is treated like a revoked one: the socket closes when it stops being honoured.
      const closeWhenExpired = (validUntil: Date, expired: () => void): (() => void) => {
        let timer: NodeJS.Timeout | undefined
        const check = () => {
          const left = validUntil.getTime() - clock.unsafeCurrentTimeMillis()
          // setTimeout takes at most 2^31-1 ms (master tokens live for years): re-arm until due.
          if (left > 0) timer = setTimeout(check, Math.min(left, 2 ** 31 - 1))
          else {
            metrics.inc("vibestack_live_expired_total")
            expired()
          }
        }
        check()
        return () => clearTimeout(timer)
      }

      /** One socket: its protocol state (`protocol.ts`) and the effects of each step, performed here. */
      const onConnection = (socket: WebSocket, ws: WorkspaceId) => {
        let state = protocol.initial
        let conn: Connection | undefined
        let stopExpiry = () => {}
        const feed = (input: protocol.Input): void => {
          try {
            const next = protocol.step(ws, limits, state, input)
            state = next.state
            for (const o of next.out) perform(o)
          } catch (error) {
            failed(socket, Cause.die(error))
          }
        }
        const perform = (o: protocol.Output) => {
          switch (o._tag) {
            case "Send":
              return sendJson(socket, o.message)
            case "Close":
              return close(socket, o.code, o.reason)
            case "Verify":
              return void supervised(
                socket,
                tokens.verify(o.token).pipe(
                  Effect.either,
                  Effect.map((r) => feed({ _tag: "Verified", result: Either.mapLeft(r, (e) => e.error) })),
                ),
              )
            case "Open": {
              const { principal } = o
              return void supervised(
                socket,
                Effect.orElseSucceed(store.docCursors(ws), () => []).pipe(
                  Effect.map((docs) => {
                    if (socket.readyState !== socket.OPEN) return
                    const c: Connection = {
                      socket,
                      workspaceId: ws,
                      role: principal.role,
                      tokenId: principal.tokenId,
                      feed,
                      alive: true,
                    }
                    conn = c
                    connections.add(c)
                    clearTimeout(authTimer)
                    stopExpiry = closeWhenExpired(principal.validUntil, () => feed({ _tag: "Expired" }))
                    feed({ _tag: "Opened", docs })
                  }),
                ),
              )
            }
            case "Join": {
              // Register, then read the head (S9): anything committed after the answered cursor is
              // sent live, including what other subscribers were sent while the head was read.
              const c = conn!
              fanOut.subscribe(c, o.docId)
              return void supervised(
                socket,
                Effect.orElseSucceed(store.docCursor(ws, o.docId), () => 0).pipe(
                  Effect.map((head) =>
                    feed({ _tag: "Joined", docId: o.docId, cursor: fanOut.joined(c, o.docId, head ?? 0) }),
                  ),
                ),
              )
            }
            case "Leave":
              return fanOut.unsubscribe(conn!, o.docId)
            case "Presence":
              // A socket being closed (revoked, expired, slow) says nothing more.
              if (socket.readyState !== socket.OPEN) return
              return presence.update(conn!, o.state)
            case "DropPresence":
              return presence.drop(conn!)
            case "Push": {
              // The push path is plain promises: no fiber per frame (PushService.submit).
              const { requestId } = o
              pushes
                .submit({ ws, doc: o.docId, bytes: o.blob, idempotencyKey: o.idempotencyKey, clientId: undefined })
                .then(
                  (answer) => feed({ _tag: "PushAnswered", requestId, answer }),
                  (error: unknown) => failed(socket, Cause.die(error)),
                )
              return
            }
          }
        }
        const authTimer = setTimeout(() => feed({ _tag: "AuthTimeout" }), limits.authTimeoutMs)
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
          feed(
            isBinary
              ? { _tag: "Binary", bytes: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength) }
              : { _tag: "Text", text: bytes.toString("utf8") },
          )
        })
        socket.on("close", () => {
          clearTimeout(authTimer)
          stopExpiry()
          feed({ _tag: "Gone" })
          if (!conn) return
          presence.drop(conn)
          connections.delete(conn)
          for (const d of protocol.following(state)) fanOut.unsubscribe(conn, d)
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

      const goodbye = () => {
        for (const c of connections) close(c.socket, CloseCode.ServerShutdown, "server shutting down")
      }
      // Said when the HTTP server starts closing too: its close waits for these sockets, and its
      // finalizer may run before this layer's.
      const removeGoodbye = node.onClose(goodbye)
      yield* Effect.addFinalizer(() =>
        Effect.sync(() => {
          clearInterval(heartbeat)
          removeHandler()
          removeGoodbye()
          goodbye()
          wss.close()
        }),
      )
    }),
  )
