import type { IncomingMessage } from "node:http"

/**
 * Reads a request body up to `max` bytes. Answers early from Content-Length, and
 * stops reading (without buffering the rest) as soon as a chunked body passes the
 * limit, so an oversized upload costs at most `max` bytes of memory.
 */
export const readBody = (req: IncomingMessage, max: number): Promise<Uint8Array | "too-large" | "aborted"> => {
  const declared = Number(req.headers["content-length"])
  if (Number.isFinite(declared) && declared > max) {
    req.resume()
    return Promise.resolve("too-large")
  }
  return new Promise((resolve) => {
    const chunks: Array<Buffer> = []
    let size = 0
    let settled = false
    const settle = (v: Uint8Array | "too-large" | "aborted") => {
      if (settled) return
      settled = true
      resolve(v)
    }
    req.on("data", (chunk: Buffer) => {
      size += chunk.length
      if (size > max) {
        chunks.length = 0
        req.removeAllListeners("data")
        req.resume()
        settle("too-large")
        return
      }
      chunks.push(chunk)
    })
    req.on("end", () => settle(new Uint8Array(Buffer.concat(chunks, size))))
    req.on("error", () => settle("aborted"))
    req.on("aborted", () => settle("aborted"))
  })
}
