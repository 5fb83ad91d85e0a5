import { connect } from "node:net"

/** What came back on a raw connection: the first response's status, headers and body. */
export interface RawAnswer {
  /** Undefined when the server closed (or went quiet) without a status line. */
  readonly status: number | undefined
  readonly headers: Record<string, string>
  readonly body: string
  /** Everything received, as latin1 text. */
  readonly raw: string
  /** The server closed the connection. */
  readonly closed: boolean
}

const parse = (raw: string) => {
  const end = raw.indexOf("\r\n\r\n")
  if (end < 0) return undefined
  const [statusLine = "", ...headerLines] = raw.slice(0, end).split("\r\n")
  const headers: Record<string, string> = {}
  for (const line of headerLines) {
    const at = line.indexOf(":")
    if (at > 0) headers[line.slice(0, at).trim().toLowerCase()] = line.slice(at + 1).trim()
  }
  const code = /^HTTP\/1\.[01] (\d{3}) /.exec(`${statusLine} `)?.[1]
  return { status: code === undefined ? undefined : Number(code), headers, rest: raw.slice(end + 4) }
}

/** Whether the first response is complete (interim 1xx answers other than 101 are skipped). */
const complete = (raw: string): boolean => {
  const p = parse(raw)
  if (!p || p.status === undefined) return false
  if (p.status === 101) return true
  if (p.status < 200) return complete(p.rest)
  const length = p.headers["content-length"]
  if (length !== undefined) return Buffer.byteLength(p.rest, "latin1") >= Number(length)
  if (/chunked/i.test(p.headers["transfer-encoding"] ?? "")) return /(^|\r\n)0\r\n\r\n$/.test(p.rest)
  return p.status === 204 || p.status === 304
}

/**
 * Sends `request` (bytes exactly as given) on a fresh TCP connection to 127.0.0.1 and reads
 * until the first final response is complete, the server closes, or `waitMs` passes. For
 * requests `fetch` will not send: malformed paths, odd headers, raw upgrades.
 */
export const rawRequest = (port: number, request: string | Uint8Array, waitMs = 5_000): Promise<RawAnswer> =>
  new Promise((resolve) => {
    const socket = connect({ port, host: "127.0.0.1" })
    const chunks: Array<Buffer> = []
    let closed = false
    let done = false
    const finish = () => {
      if (done) return
      done = true
      clearTimeout(timer)
      socket.destroy()
      const raw = Buffer.concat(chunks).toString("latin1")
      let p = parse(raw)
      // Skip interim answers (100 Continue) to the final one.
      while (p && p.status !== undefined && p.status < 200 && p.status !== 101) {
        const next = parse(p.rest)
        if (!next) break
        p = next
      }
      resolve({ status: p?.status, headers: p?.headers ?? {}, body: p?.rest ?? "", raw, closed })
    }
    const timer = setTimeout(finish, waitMs)
    socket.on("data", (d) => {
      chunks.push(d)
      if (complete(Buffer.concat(chunks).toString("latin1"))) finish()
    })
    socket.on("error", () => {})
    socket.on("close", () => {
      closed = true
      finish()
    })
    socket.write(request)
  })

/** An ordinary WebSocket upgrade request for `path`, with extra header lines. */
export const upgradeRequest = (path: string, extra: ReadonlyArray<string> = []): string =>
  [
    `GET ${path} HTTP/1.1`,
    "Host: 127.0.0.1",
    "Connection: Upgrade",
    "Upgrade: websocket",
    "Sec-WebSocket-Version: 13",
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
    ...extra,
    "",
    "",
  ].join("\r\n")
