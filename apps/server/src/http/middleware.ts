import { type HttpApp, HttpServerRequest, HttpServerResponse } from "@effect/platform"
import { Effect } from "effect"
import type { Metrics } from "../metrics/Metrics.js"

const decoder = new TextDecoder()

const errorJson = (status: number, kind: string, message: string) =>
  HttpServerResponse.unsafeJson({ error: { kind, message } }, { status })

/**
 * Keeps every error in the one documented shape `{"error": {"kind", "message"}}`:
 * the platform's own schema-decode errors and unknown routes are rewritten here.
 */
const normalizeErrors = (res: HttpServerResponse.HttpServerResponse): HttpServerResponse.HttpServerResponse => {
  if (res.status === 400 && res.body._tag === "Uint8Array") {
    try {
      const parsed = JSON.parse(decoder.decode(res.body.body)) as { _tag?: string; message?: string }
      if (parsed._tag === "HttpApiDecodeError")
        return errorJson(400, "BadRequest", parsed.message ?? "malformed request")
    } catch {
      // Not JSON: leave it.
    }
  }
  if (res.status === 404 && res.body._tag === "Empty") return errorJson(404, "NotFound", "no such route")
  return res
}

export const makeMiddleware =
  (options: { metrics: Metrics; maxJsonBytes: number }) =>
  (app: HttpApp.Default): HttpApp.Default =>
    Effect.gen(function* () {
      const req = yield* HttpServerRequest.HttpServerRequest
      const started = performance.now()
      const isPush = req.method === "POST" && req.url.includes("/docs/")
      const declared = Number(req.headers["content-length"])
      // JSON bodies are small; the push route enforces its own, larger limit while reading.
      if (!isPush && Number.isFinite(declared) && declared > options.maxJsonBytes)
        return errorJson(413, "PayloadTooLarge", `request bodies may be at most ${options.maxJsonBytes} bytes`)
      const res = yield* app.pipe(
        Effect.catchAllDefect((defect) =>
          Effect.logError("request failed", defect).pipe(Effect.as(errorJson(500, "Internal", "internal error"))),
        ),
      )
      const out = normalizeErrors(res)
      const route = req.url.startsWith("/api/") ? "api" : req.url.split("?")[0] === "/healthz" ? "healthz" : "other"
      options.metrics.inc("vibestack_http_requests_total", { route, method: req.method, status: out.status })
      options.metrics.observe("vibestack_http_request_seconds", (performance.now() - started) / 1000)
      return out
    }) as HttpApp.Default
