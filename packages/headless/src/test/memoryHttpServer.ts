import { createServer, type IncomingMessage, type ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"
import type { DocId, WorkspaceId } from "@vibestack/schema"
import { decodeFrame, encodeFrame, MemoryServer, MemoryServerError, PROTOCOL_VERSION } from "@vibestack/shared"
import { WebSocketServer } from "ws"

const statusOf: Record<string, number> = {
  Unauthorized: 401,
  Forbidden: 403,
  NotFound: 404,
  Conflict: 409,
  BadRequest: 400,
  PayloadTooLarge: 413,
  InvalidUpdate: 422,
  ClientTooOld: 426,
  Overloaded: 429,
  Unavailable: 503,
  Internal: 500,
}

/** Test knobs: what the next requests should suffer. */
export interface HttpFaults {
  garbagePull: number
  hangNext: number
  mutePongs: boolean
  /** The socket closes on the next push frame, without answering (a lost ack). */
  dropPushes: boolean
}

/**
 * The public HTTP + WebSocket contract served over a `MemoryServer`, for testing
 * `HttpTransport` and `HeadlessClient` before (and independently of) the real server.
 */
export const startMemoryHttpServer = async (server = new MemoryServer(), options: { noLive?: boolean } = {}) => {
  const faults: HttpFaults = { garbagePull: 0, hangNext: 0, mutePongs: false, dropPushes: false }
  const hung: Array<ServerResponse> = []
  const readBody = (req: IncomingMessage) =>
    new Promise<Uint8Array>((resolve) => {
      const chunks: Array<Buffer> = []
      req.on("data", (c: Buffer) => chunks.push(c))
      req.on("end", () => resolve(new Uint8Array(Buffer.concat(chunks))))
    })
  const json = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { "content-type": "application/json" })
    res.end(JSON.stringify(body))
  }
  const http = createServer(async (req, res) => {
    try {
      if (faults.hangNext > 0) {
        faults.hangNext--
        hung.push(res)
        return
      }
      const url = new URL(req.url ?? "/", "http://x")
      const token = (req.headers.authorization ?? "").replace(/^Bearer /, "")
      const parts = url.pathname.split("/").filter(Boolean)
      if (req.method === "POST" && url.pathname === "/api/v1/workspaces") {
        const body = JSON.parse(new TextDecoder().decode(await readBody(req))) as {
          id: WorkspaceId
          name: string
          creatorKey?: string
        }
        const r = server.register(body.id, body.name, body.creatorKey)
        return json(res, 201, { workspaceId: body.id, masterToken: r.masterToken })
      }
      const ws = parts[3] as WorkspaceId
      if (parts.length === 4 && req.method === "GET") {
        const { role, name } = server.auth(token, ws)
        return json(res, 200, { workspaceId: ws, name, role, docs: server.docs(ws) })
      }
      const doc = parts[5] as DocId
      if (parts[6] === "updates" && req.method === "POST") {
        const key = String(req.headers["idempotency-key"] ?? "")
        return json(res, 200, server.push(token, ws, doc, await readBody(req), key))
      }
      if (parts[6] === "updates" && req.method === "GET") {
        const r = server.pull(
          token,
          ws,
          doc,
          Number(url.searchParams.get("after")),
          Number(url.searchParams.get("limit")),
        )
        let body = r.body
        if (faults.garbagePull > 0 && body.length > 0) {
          faults.garbagePull--
          body = body.slice(0, body.length - 3)
        }
        res.writeHead(200, { "x-vibestack-cursor": r.cursor, "x-vibestack-more": r.more })
        return res.end(body)
      }
      if (parts[6] === "snapshot") {
        const r = server.snapshot(token, ws, doc)
        res.writeHead(200, { "x-vibestack-cursor": String(r.cursor) })
        return res.end(r.bytes)
      }
      return json(res, 404, { error: { kind: "NotFound", message: "no route" } })
    } catch (e) {
      const kind = e instanceof MemoryServerError ? e.kind : "Internal"
      return json(res, statusOf[kind] ?? 500, { error: { kind, message: String(e) } })
    }
  })
  // `noLive`: a server (or proxy) that refuses WebSocket upgrades; clients must fall back to HTTP.
  const wss = new WebSocketServer({ server: http, verifyClient: () => !options.noLive })
  wss.on("connection", (sock, req) => {
    const ws = (req.url ?? "").split("/")[4] as WorkspaceId
    let off: (() => void) | undefined
    let token: string | undefined
    const docs = new Set<string>()
    sock.on("close", () => off?.())
    sock.on("message", (data, isBinary) => {
      if (isBinary) {
        // A binary frame is a Push (header + Loro update), answered in arrival order.
        const frame = decodeFrame(new Uint8Array(data as Buffer))
        if (typeof frame === "string" || token === undefined || faults.dropPushes) return sock.close(1003)
        const h = frame.header as { docId: DocId; requestId: number; idempotencyKey: string }
        try {
          const r = server.push(token, ws, h.docId, frame.blob.slice(), h.idempotencyKey)
          sock.send(JSON.stringify({ _tag: "PushAck", requestId: h.requestId, ...r }))
        } catch (e) {
          const kind = e instanceof MemoryServerError ? e.kind : "Internal"
          sock.send(
            JSON.stringify({ _tag: "PushRejected", requestId: h.requestId, error: { kind, message: String(e) } }),
          )
        }
        return
      }
      const msg = JSON.parse(String(data)) as { _tag: string; token?: string; docId?: DocId; id?: number }
      if (msg._tag === "Auth") {
        try {
          token = msg.token ?? ""
          const { role } = server.auth(msg.token ?? "", ws)
          off = server.subscribe({
            ws,
            token: msg.token ?? "",
            docs,
            deliver: (docId, seq, bytes) => sock.send(encodeFrame({ _tag: "Update", docId, seq }, bytes)),
            kick: (kind, message) => {
              sock.send(JSON.stringify({ _tag: "Fault", kind, message }))
              sock.close(4011)
            },
          })
          sock.send(
            JSON.stringify({
              _tag: "AuthOk",
              workspaceId: ws,
              role,
              protocolVersion: PROTOCOL_VERSION,
              docs: server.docs(ws),
            }),
          )
        } catch {
          sock.close(4001)
        }
      } else if (msg._tag === "Subscribe" && msg.docId) {
        docs.add(msg.docId)
        sock.send(JSON.stringify({ _tag: "Subscribed", docId: msg.docId, cursor: server.cursorOf(ws, msg.docId) }))
      } else if (msg._tag === "Ping" && !faults.mutePongs) {
        sock.send(JSON.stringify({ _tag: "Pong", id: msg.id }))
      }
    })
  })
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve))
  const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`
  return {
    url,
    server,
    faults,
    close: async () => {
      for (const r of hung) r.destroy()
      for (const c of wss.clients) c.terminate()
      wss.close()
      http.closeAllConnections()
      await new Promise<void>((resolve) => http.close(() => resolve()))
    },
  }
}
