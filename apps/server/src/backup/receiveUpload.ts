import { randomBytes } from "node:crypto"
import { createWriteStream } from "node:fs"
import { mkdir, readdir, rm, stat } from "node:fs/promises"
import type { IncomingMessage } from "node:http"
import { join } from "node:path"
import type * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import { NodeHttpServerRequest } from "@effect/platform-node"
import { apiError, type BadRequest, type Internal, type PayloadTooLarge } from "@vibestack/shared"
import { Clock, Effect, type Scope } from "effect"

/** An uploaded body on disk; removed when the scope that received it closes. */
export interface Upload {
  readonly path: string
  readonly size: number
}

/**
 * After answering 413 mid-body, how long the rest of the body may keep arriving (drained and
 * dropped, never stored) before the connection is cut: cutting at once resets the connection
 * while the client is still sending, and the client may never read the answer (the lingering
 * close of nginx and Apache, bounded).
 */
const LINGER_MS = 2_000

/**
 * Streams a request body (octet-stream) to a new file under `dir`, never holding more than a
 * chunk of it in memory. Past `max` bytes it stops writing and fails with 413 at once: a
 * declared Content-Length over the limit is answered before any byte is read. The file is
 * removed when the caller's scope closes, whatever happened (success, refusal, an error, the
 * client going away), so no path leaves a temporary file behind.
 */
export const receiveUpload = (
  request: HttpServerRequest.HttpServerRequest,
  options: { readonly dir: string; readonly max: number },
): Effect.Effect<Upload, BadRequest | PayloadTooLarge | Internal, Scope.Scope> =>
  Effect.gen(function* () {
    const type = request.headers["content-type"]?.split(";")[0]?.trim()
    if (type !== "application/octet-stream")
      return yield* Effect.fail(apiError("BadRequest", "the backup file must be sent as application/octet-stream"))
    const req = NodeHttpServerRequest.toIncomingMessage(request)
    const tooLarge = Effect.suspend(() => {
      cutAfterAnswer(req)
      return Effect.fail(apiError("PayloadTooLarge", `a backup file may be at most ${options.max} bytes`))
    })
    const declared = Number(request.headers["content-length"])
    if (Number.isFinite(declared) && declared > options.max) return yield* tooLarge

    const path = join(options.dir, `upload-${randomBytes(12).toString("base64url")}.part`)
    yield* Effect.tryPromise({
      try: () => mkdir(options.dir, { recursive: true }),
      catch: (e) => apiError("Internal", `cannot create ${options.dir}: ${String(e)}`),
    })
    yield* Effect.addFinalizer(() => Effect.promise(() => rm(path, { force: true })))
    const aborted = apiError("BadRequest", "the upload was aborted before its end")
    // Gone while the request waited for its handler (auth, a permit): no event will come.
    if (req.destroyed && !req.complete) return yield* Effect.fail(aborted)
    const outcome = yield* Effect.async<number | "too-large", BadRequest | Internal>((resume) => {
      const file = createWriteStream(path, { flags: "wx" })
      let size = 0
      const stop = () => {
        req.off("data", onData).off("end", onEnd).off("close", onClose)
        file.off("drain", onDrain)
        file.destroy()
      }
      const onData = (chunk: Buffer) => {
        size += chunk.length
        if (size > options.max) {
          stop()
          resume(Effect.succeed("too-large"))
        } else if (!file.write(chunk)) req.pause()
      }
      const onDrain = () => req.resume()
      const onEnd = () => {
        req.off("close", onClose)
        file.end(() => resume(Effect.succeed(size)))
      }
      // Without `end` first, the client went away mid-body.
      const onClose = () => {
        stop()
        resume(Effect.fail(aborted))
      }
      file.on("error", (e) => {
        stop()
        resume(Effect.fail(apiError("Internal", `cannot write the upload: ${e.message}`)))
      })
      file.on("drain", onDrain)
      req.on("data", onData).on("end", onEnd).on("close", onClose)
      return Effect.sync(stop)
    })
    if (outcome === "too-large") return yield* tooLarge
    return { path, size: outcome }
  })

/** The 413 goes out while the client may still be sending: drain for LINGER_MS at most, then cut. */
const cutAfterAnswer = (req: IncomingMessage) => {
  req.removeAllListeners("data")
  req.resume()
  if (req.complete) return
  const timer = setTimeout(() => {
    if (!req.complete) req.socket.destroy()
  }, LINGER_MS)
  timer.unref()
  req.once("end", () => clearTimeout(timer))
  req.socket.once("close", () => clearTimeout(timer))
}

/** Removes upload files older than an hour (left by a process that died mid-upload). */
export const sweepStaleUploads = (dir: string, olderThanMs = 60 * 60 * 1000) =>
  Effect.flatMap(Clock.currentTimeMillis, (now) =>
    Effect.promise(async () => {
      const names = await readdir(dir).catch(() => [] as Array<string>)
      const before = now - olderThanMs
      for (const name of names.filter((n) => n.startsWith("upload-") && n.endsWith(".part"))) {
        const at = join(dir, name)
        const info = await stat(at).catch(() => undefined)
        if (info !== undefined && info.mtimeMs < before) await rm(at, { force: true })
      }
    }),
  )
