import { request } from "node:http"
import { FORMAT_VERSION, MAGIC } from "../backupFile.js"

export interface SendOptions {
  /** Body size in bytes, generated lazily 64 KiB at a time (the client never holds it). */
  readonly total: number
  /** Send Content-Length (true) or chunked transfer encoding (false). */
  readonly declareLength: boolean
  readonly token?: string
  /** Destroy the connection after this many bytes, without ending the body. */
  readonly abortAfter?: number
  /** Called once when `abortAfter` bytes are out, before the connection is destroyed. */
  readonly beforeAbort?: () => Promise<void>
}

export interface SendResult {
  readonly status: number
  readonly json: any
  /** Bytes of the body written when the response arrived (or when aborted). */
  readonly sentWhenAnswered: number
}

const CHUNK = 64 * 1024

/**
 * POSTs a large octet-stream body through node:http, honouring backpressure, so the test
 * process itself stays small. The body starts with a valid backup header, so the server has
 * to read all of it (the trailing checksum) before it can refuse it. Resolves with the response
 * (even one that arrives mid-body), or with status 0 after an abort.
 */
export const sendBody = (url: string, o: SendOptions): Promise<SendResult> =>
  new Promise((resolve, reject) => {
    let sent = 0
    let answered = false
    const req = request(url, {
      method: "POST",
      headers: {
        "content-type": "application/octet-stream",
        ...(o.declareLength ? { "content-length": String(o.total) } : { "transfer-encoding": "chunked" }),
        ...(o.token === undefined ? {} : { authorization: `Bearer ${o.token}` }),
      },
    })
    req.on("response", (res) => {
      answered = true
      const at = sent
      const chunks: Array<Buffer> = []
      res.on("data", (c: Buffer) => chunks.push(c))
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString()
        let json: any
        try {
          json = JSON.parse(text)
        } catch {
          json = text
        }
        resolve({ status: res.statusCode ?? 0, json, sentWhenAnswered: at })
      })
    })
    // Writing after an early answer may fail (the server closed): the answer is what counts.
    req.on("error", (e) => (answered ? undefined : o.abortAfter !== undefined ? undefined : reject(e)))
    const header = new Uint8Array(14)
    header.set(MAGIC, 0)
    new DataView(header.buffer).setUint16(MAGIC.length, FORMAT_VERSION)
    new DataView(header.buffer).setUint32(MAGIC.length + 2, 2)
    let first = true
    const pump = async () => {
      while (sent < o.total && !answered && !req.destroyed) {
        if (o.abortAfter !== undefined && sent >= o.abortAfter) {
          await o.beforeAbort?.()
          req.destroy()
          resolve({ status: 0, json: undefined, sentWhenAnswered: sent })
          return
        }
        const n = Math.min(CHUNK, o.total - sent)
        const chunk = Buffer.allocUnsafe(n).fill(sent & 0xff)
        if (first) chunk.set(header.subarray(0, Math.min(n, header.length)))
        first = false
        sent += n
        if (!req.write(chunk)) await drained(req)
      }
      if (!answered && !req.destroyed) req.end()
    }
    pump().catch(reject)
  })

const drained = (req: import("node:http").ClientRequest) =>
  new Promise<void>((resolve) => {
    const done = () => {
      req.off("drain", done).off("close", done)
      resolve()
    }
    req.on("drain", done).on("close", done)
  })
