import type { IncomingMessage } from "node:http"

/**
 * How much of an oversized body is still read (and thrown away) before answering 413, so the
 * client, which is still sending, gets the answer instead of a reset; past it the connection
 * is closed. The server's request timeout bounds the time it takes.
 */
export const DRAIN_BYTES = 64 * 1024 * 1024

export type BodyResult = Uint8Array | "too-large" | "aborted"

/**
 * Reads a request body up to `max` bytes (S15). A body past the limit (declared or, when
 * chunked, counted) is not buffered: it is drained up to `DRAIN_BYTES` and answered
 * "too-large", so an oversized upload costs at most `max` bytes of memory.
 */
export const readBody = (req: IncomingMessage, max: number): Promise<BodyResult> =>
  new Promise((resolve) => {
    const chunks: Array<Buffer> = []
    let size = 0
    let settled = false
    const settle = (v: BodyResult) => {
      if (settled) return
      settled = true
      resolve(v)
    }
    const declared = Number(req.headers["content-length"])
    let tooLarge = Number.isFinite(declared) && declared > max
    req.on("data", (chunk: Buffer) => {
      size += chunk.length
      if (!tooLarge && size > max) {
        tooLarge = true
        chunks.length = 0
      }
      if (!tooLarge) chunks.push(chunk)
      else if (size > max + DRAIN_BYTES) {
        // Still going: answer now and let the connection close (Node resumes and discards the rest).
        req.removeAllListeners("data")
        req.resume()
        settle("too-large")
      }
    })
    req.on("end", () => settle(tooLarge ? "too-large" : new Uint8Array(Buffer.concat(chunks, size))))
    req.on("error", () => settle("aborted"))
    req.on("aborted", () => settle("aborted"))
    if (req.readableEnded) settle(tooLarge ? "too-large" : new Uint8Array(0))
  })

/**
 * Whether `text` nests arrays/objects deeper than `max` (S15), in one pass that skips strings:
 * recursive code downstream (schema decoding, error formatting) must never see such input.
 */
export const jsonTooDeep = (text: string, max: number): boolean => {
  let depth = 0
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (inString) {
      if (c === 92)
        i++ // backslash: skip the escaped character
      else if (c === 34) inString = false
    } else if (c === 34) inString = true
    else if (c === 91 || c === 123) {
      if (++depth > max) return true
    } else if (c === 93 || c === 125) depth--
  }
  return false
}
