import { Server as HttpServer, type IncomingMessage, type ServerResponse, STATUS_CODES } from "node:http"
import type { Duplex } from "node:stream"

export type UpgradeHandler = (req: IncomingMessage, socket: Duplex, head: Buffer) => boolean
/** Answers a request itself (returns true) or leaves it to the HttpApi app (false). */
export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => boolean

/** Told about every exception a handler let escape (S14): already answered 400 by then. */
export type HandlerErrorReport = (error: unknown, where: { readonly method: string; readonly path: string }) => void

/**
 * A complete HTTP/1.1 error response in the documented shape `{"error": {kind, message}}`,
 * written on a raw socket (upgrades, client errors): the connection closes after it.
 */
export const rawErrorResponse = (
  status: number,
  kind: string,
  message: string,
  headers: Readonly<Record<string, string>> = {},
): string => {
  const body = JSON.stringify({ error: { kind, message } })
  const lines = Object.entries({
    Connection: "close",
    "Content-Type": "application/json",
    "Content-Length": String(Buffer.byteLength(body)),
    ...headers,
  }).map(([k, v]) => `${k}: ${v}`)
  return `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? "Error"}\r\n${lines.join("\r\n")}\r\n\r\n${body}`
}

/**
 * Writes a final answer on a raw socket and closes it. The rest of what the client sent is
 * read and thrown away (a paused socket with unread bytes never notices the client leaving,
 * and would stay open forever), and the socket is destroyed shortly after in any case.
 */
export const answerAndClose = (socket: Duplex, response: string): void => {
  if (socket.writable) socket.end(response)
  socket.resume()
  setTimeout(() => socket.destroy(), 5_000).unref()
}

const STARTING = "the server is not serving requests yet; retry shortly"

/** The path without its query string (where tokens could ride), for logs. */
export const pathForLog = (url: string | undefined): string => (url ?? "").split("?")[0]!.slice(0, 300)

/**
 * The Node HTTP server. The live socket is served by `ws` directly (so its frame limits
 * and backpressure are ours to set), so upgrades for it are taken here before the Effect
 * platform's own upgrade handler sees them; everything else goes to the HttpApi app.
 *
 * No exception thrown by a request or upgrade handler gets past this class (S14): it is
 * reported (method and path, never the query or headers) and the request is answered 400
 * with the documented error shape, then its connection is closed. Malformed HTTP is
 * answered in the same shape too.
 */
export class NodeServer extends HttpServer {
  private upgradeHandlers: Array<UpgradeHandler> = []
  private requestHandlers: Array<RequestHandler> = []
  /** Sockets an upgrade handler took (live sockets): `close` waits for them, as for any connection. */
  private readonly upgraded = new Set<Duplex>()
  /** Run as closing starts (the live server's goodbye to its sockets). */
  private readonly closing = new Set<() => void>()
  /** Replaced by the server layer with one that logs through Effect and counts a metric. */
  onHandlerError: HandlerErrorReport = (error, where) =>
    console.error(`handler threw on ${where.method} ${where.path} (answered 400):`, error)

  constructor() {
    super({ requestTimeout: 60_000, headersTimeout: 10_000, keepAliveTimeout: 5_000 })
    this.maxHeadersCount = 100
    this.on("clientError", (error: NodeJS.ErrnoException, socket: Duplex) => this.answerClientError(error, socket))
    // Node answers an unknown `Expect` with an empty 417; ours has the error shape.
    this.on("checkExpectation", (_req: IncomingMessage, res: ServerResponse) => {
      const body = JSON.stringify({ error: { kind: "BadRequest", message: "unsupported Expect header" } })
      res.writeHead(417, { "content-type": "application/json", "content-length": Buffer.byteLength(body) })
      res.end(body)
    })
  }

  /**
   * Stops accepting connections, closes idle keep-alive ones at once and cuts what is still open
   * after a grace second: a long-poll (the change feed holds one for up to 20 s per follower)
   * must not hold a shutdown for minutes. Clients retry; pushes are idempotent by key.
   * Upgraded sockets are cut then too: Node's `closeAllConnections` leaves them, and `close`
   * waits for every one, so a connected live client held the shutdown forever whenever the
   * platform's server closed before the live server's own finalizer had run (the order of the
   * two finalizers is not fixed). The `onClose` steps run first, so live clients are told why
   * (a close code) in either order, and only a socket that does not finish its goodbye is cut.
   */
  override close(callback?: (err?: Error) => void): this {
    for (const step of this.closing) {
      try {
        step()
      } catch (error) {
        console.error("a closing step of the HTTP server threw:", error)
      }
    }
    super.close(callback)
    this.closeIdleConnections()
    setTimeout(() => {
      this.closeAllConnections()
      for (const socket of this.upgraded) socket.destroy()
    }, 1_000).unref()
    return this
  }

  /** A step to run when the server starts closing, before its connections are cut; returns its removal. */
  onClose(step: () => void): () => void {
    this.closing.add(step)
    return () => {
      this.closing.delete(step)
    }
  }

  addUpgradeHandler(handler: UpgradeHandler): () => void {
    this.upgradeHandlers.push(handler)
    return () => {
      this.upgradeHandlers = this.upgradeHandlers.filter((h) => h !== handler)
    }
  }

  /**
   * A hot route served before the Effect platform sees it (the change feed's shape
   * long-polls: the platform's per-request work was most of their cost). The handler must
   * answer in the documented error shape itself; what it throws is caught as below.
   */
  addRequestHandler(handler: RequestHandler): () => void {
    this.requestHandlers.push(handler)
    return () => {
      this.requestHandlers = this.requestHandlers.filter((h) => h !== handler)
    }
  }

  override emit(event: string, ...args: Array<any>): boolean {
    if (event === "upgrade") {
      const [req, socket, head] = args as [IncomingMessage, Duplex, Buffer]
      try {
        for (const h of this.upgradeHandlers)
          if (h(req, socket, head)) {
            this.upgraded.add(socket)
            socket.once("close", () => this.upgraded.delete(socket))
            return true
          }
        // The platform answers other upgrade requests like ordinary ones (no route of ours
        // upgrades); once that answer is written, the socket must not linger (see answerAndClose).
        socket.once("finish", () => answerAndClose(socket, ""))
        if (super.emit(event, ...args)) return true
        answerAndClose(socket, rawErrorResponse(503, "Unavailable", STARTING, { "Retry-After": "1" }))
        return true
      } catch (error) {
        this.report(error, req)
        answerAndClose(socket, rawErrorResponse(400, "BadRequest", "malformed request"))
        return true
      }
    }
    if (event === "request") {
      const [req, res] = args as [IncomingMessage, ServerResponse]
      try {
        for (const h of this.requestHandlers) if (h(req, res)) return true
        if (super.emit(event, ...args)) return true
        // Listening, but the app is not attached yet (start-up) or any more: without an answer the
        // request would wait until the client gave up (a start-up probe waited out its deadline).
        const body = JSON.stringify({ error: { kind: "Unavailable", message: STARTING } })
        res.shouldKeepAlive = false
        res.writeHead(503, {
          "content-type": "application/json",
          "content-length": Buffer.byteLength(body),
          "retry-after": "1",
          connection: "close",
        })
        res.end(body)
        return true
      } catch (error) {
        this.report(error, req)
        if (res.headersSent) res.destroy()
        else {
          const body = JSON.stringify({ error: { kind: "BadRequest", message: "malformed request" } })
          res.shouldKeepAlive = false
          res.writeHead(400, {
            "content-type": "application/json",
            "content-length": Buffer.byteLength(body),
            connection: "close",
          })
          res.end(body)
        }
        return true
      }
    }
    return super.emit(event, ...args)
  }

  private report(error: unknown, req: IncomingMessage) {
    try {
      this.onHandlerError(error, { method: String(req.method), path: pathForLog(req.url) })
    } catch {
      // A broken reporter must not undo the guard.
    }
  }

  /** What Node does by default for unparsable requests, with a JSON body in our shape. */
  private answerClientError(error: NodeJS.ErrnoException, socket: Duplex): void {
    const busy = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent
    if (!socket.writable || busy || error.code === "ECONNRESET") {
      socket.destroy()
      return
    }
    const [status, message] =
      error.code === "HPE_HEADER_OVERFLOW"
        ? [431, "request headers too large"]
        : error.code === "ERR_HTTP_REQUEST_TIMEOUT"
          ? [408, "request took too long"]
          : [400, "malformed HTTP request"]
    answerAndClose(socket, rawErrorResponse(status, status === 408 ? "Unavailable" : "BadRequest", message))
  }
}
