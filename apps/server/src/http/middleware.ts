import {
  HttpApiBuilder,
  type HttpApp,
  HttpIncomingMessage,
  HttpServerError,
  HttpServerRequest,
  HttpServerResponse,
} from "@effect/platform"
import { type ErrorKind, statusOfKind } from "@vibestack/shared"
import { Cause, Effect, Option } from "effect"
import type { Metrics } from "../metrics/Metrics.js"

const errorJson = (status: number, kind: string, message: string) =>
  HttpServerResponse.unsafeJson({ error: { kind, message } }, { status })

/**
 * HttpApi-level middleware keeping every error in the one documented shape
 * `{"error": {"kind", "message"}}`: the platform's own failures (schema decode,
 * unparsable bodies, unknown routes) are answered here; ours already have the shape.
 */
export const ErrorShapeLive = HttpApiBuilder.middleware(
  (app) =>
    Effect.catchAllCause(app, (cause) => {
      // Body parse errors arrive as defects, our API errors and decode errors as failures.
      const failure = Option.orElse(Cause.failureOption(cause), () => Cause.dieOption(cause))
      if (Option.isSome(failure)) {
        const e = failure.value as { _tag?: string; message?: string; error?: { kind: ErrorKind; message: string } }
        if (e.error && typeof e.error.kind === "string")
          return Effect.succeed(errorJson(statusOfKind[e.error.kind] ?? 400, e.error.kind, e.error.message))
        if (e._tag === "HttpApiDecodeError" || e._tag === "RequestError" || e._tag === "ParseError")
          return Effect.succeed(errorJson(400, "BadRequest", firstLine(e.message ?? "malformed request")))
        if (e._tag === "RouteNotFound") return Effect.succeed(errorJson(404, "NotFound", "no such route"))
      }
      return Effect.failCause(cause)
    }) as HttpApp.Default,
)

const firstLine = (s: string) => s.split("\n")[0]!.slice(0, 500)

/** Routes that read (and bound) their own binary bodies: pushes, backup uploads and imports. */
const OWN_LIMIT_ROUTES = [
  /^\/api\/v1\/workspaces\/[^/]+\/docs\/[^/]+\/updates$/,
  /^\/api\/v1\/workspaces\/[^/]+\/backups\/upload$/,
  /^\/api\/v1\/backups\/import$/,
]

export const makeMiddleware =
  (options: { metrics: Metrics; maxJsonBytes: number }) =>
  (app: HttpApp.Default): HttpApp.Default =>
    Effect.gen(function* () {
      const req = yield* HttpServerRequest.HttpServerRequest
      const started = performance.now()
      const path = req.url.split("?")[0]!
      const streamsItsOwnBody = req.method === "POST" && OWN_LIMIT_ROUTES.some((r) => r.test(path))
      const declared = Number(req.headers["content-length"])
      // JSON bodies are small; binary routes enforce their own, larger limits while reading.
      if (!streamsItsOwnBody && Number.isFinite(declared) && declared > options.maxJsonBytes)
        return errorJson(413, "PayloadTooLarge", `request bodies may be at most ${options.maxJsonBytes} bytes`)
      // Chunked bodies carry no length: the same cap applies while they are read.
      const limited = streamsItsOwnBody
        ? app
        : HttpIncomingMessage.withMaxBodySize(app, Option.some(options.maxJsonBytes))
      // Failures reach here as Respondable errors (our API errors, the platform's decode
      // errors, route-not-found); turn each into its response so it can be normalized.
      const res = yield* limited.pipe(
        Effect.catchAllCause((cause) =>
          Effect.map(HttpServerError.causeResponse(cause), ([response, rest]) => {
            if (response.status >= 500) Effect.runFork(Effect.logError("request failed", rest))
            return response
          }),
        ),
      )
      const out = res
      const route = req.url.startsWith("/api/") ? "api" : req.url.split("?")[0] === "/healthz" ? "healthz" : "other"
      options.metrics.inc("vibestack_http_requests_total", { route, method: req.method, status: out.status })
      options.metrics.observe("vibestack_http_request_seconds", (performance.now() - started) / 1000)
      return out
    }) as HttpApp.Default
