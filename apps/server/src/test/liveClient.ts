import { decodeFrame, encodeFrame } from "@vibestack/shared"
import WebSocket from "ws"

/** A bare live-socket client for tests: records everything, exposes the raw socket. */
export interface LiveTestClient {
  readonly socket: WebSocket
  readonly texts: Array<any>
  readonly updates: Array<{ docId: string; seq: number; bytes: Uint8Array }>
  readonly closed: Promise<{ code: number; reason: string }>
  readonly opened: Promise<void>
  sendJson(msg: unknown): void
  push(docId: string, requestId: number, key: string, bytes: Uint8Array): void
  waitFor<A>(pred: () => A | undefined, timeoutMs?: number): Promise<A>
}

export const liveClient = (baseUrl: string, ws: string, headers: Record<string, string> = {}): LiveTestClient => {
  const socket = new WebSocket(`${baseUrl.replace(/^http/, "ws")}/api/v1/workspaces/${ws}/live`, { headers })
  const texts: Array<any> = []
  const updates: Array<{ docId: string; seq: number; bytes: Uint8Array }> = []
  socket.on("message", (data, isBinary) => {
    const buf = Buffer.isBuffer(data) ? data : Buffer.concat(data as Array<Buffer>)
    if (!isBinary) texts.push(JSON.parse(buf.toString("utf8")))
    else {
      const f = decodeFrame(new Uint8Array(buf))
      if (typeof f === "string") throw new Error(f)
      const h = f.header as { docId: string; seq: number }
      updates.push({ docId: h.docId, seq: h.seq, bytes: f.blob })
    }
  })
  socket.on("error", () => {})
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    socket.on("close", (code, reason) => resolve({ code, reason: reason.toString() })),
  )
  const opened = new Promise<void>((resolve, reject) => {
    socket.on("open", () => resolve())
    socket.on("unexpected-response", (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)))
  })
  return {
    socket,
    texts,
    updates,
    closed,
    opened,
    sendJson: (msg) => socket.send(JSON.stringify(msg)),
    push: (docId, requestId, key, bytes) =>
      socket.send(encodeFrame({ _tag: "Push", docId, requestId, idempotencyKey: key }, bytes)),
    waitFor: async (pred, timeoutMs = 60_000) => {
      const deadline = Date.now() + timeoutMs
      for (;;) {
        const v = pred()
        if (v !== undefined && v !== false) return v as never
        if (Date.now() > deadline)
          throw new Error(
            `waitFor timed out; texts ${JSON.stringify(texts)}; update seqs ${JSON.stringify(updates.map((u) => u.seq))}`,
          )
        await new Promise((r) => setTimeout(r, 10))
      }
    },
  }
}

/** Opens, authenticates, subscribes to `doc`; resolves after `Subscribed`. */
export const subscribed = async (baseUrl: string, ws: string, token: string, doc = "main") => {
  const c = liveClient(baseUrl, ws)
  await c.opened
  c.sendJson({ _tag: "Auth", token, protocolVersion: 1 })
  await c.waitFor(() => c.texts.find((t) => t._tag === "AuthOk"))
  c.sendJson({ _tag: "Subscribe", docId: doc })
  await c.waitFor(() => c.texts.find((t) => t._tag === "Subscribed" && t.docId === doc))
  return c
}
