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
 * Sends `request` (bytes exactly as given; a string as latin1) on a fresh TCP connection to 127.0.0.1 and reads
 * until the first final response is complete, the server closes, or `waitMs` passes. For
 * requests `fetch` will not send: malformed paths, odd headers, raw upgrades.
 */
export const rawRequest = (
  port: number,
  request: string | Uint8Array,
  waitMs = 5_000,
  options: { readonly halfClose?: boolean } = {},
): Promise<RawAnswer> =>
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
      const headers = p?.headers ?? {}
      const rest = p?.rest ?? ""
      const body = /chunked/i.test(headers["transfer-encoding"] ?? "") ? dechunk(rest) : rest
      resolve({ status: p?.status, headers, body, raw, closed })
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
    socket.write(typeof request === "string" ? Buffer.from(request, "latin1") : request)
    // Sent everything: a server still waiting for more body sees the end and must give up.
    if (options.halfClose) socket.end()
  })

/** The payload of a chunked body (as far as it is well-formed). */
const dechunk = (s: string): string => {
  let out = ""
  let at = 0
  for (;;) {
    const eol = s.indexOf("\r\n", at)
    if (eol < 0) return out
    const size = Number.parseInt(s.slice(at, eol).split(";")[0]!, 16)
    if (!Number.isFinite(size) || size === 0) return out
    out += s.slice(eol + 2, eol + 2 + size)
    at = eol + 2 + size + 2
  }
}

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
