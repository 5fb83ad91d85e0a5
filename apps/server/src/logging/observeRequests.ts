import { randomUUID } from "node:crypto"
import * as HttpApp from "@effect/platform/HttpApp"
import * as HttpServerError from "@effect/platform/HttpServerError"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import { Cause, Effect, FiberRef } from "effect"
import type { Metrics } from "../metrics/Metrics.js"
import { routeTemplate } from "../metrics/routeTemplate.js"

/** An incoming `x-request-id` is kept when it is this sane (a proxy's id); otherwise we make one. */
const SANE_ID = /^[A-Za-z0-9._:@-]{1,128}$/

/** The request's id: a sane incoming `x-request-id`, else a new UUID (also feed/ShapeHttp.ts). */
export const requestIdOf = (incoming: string | undefined): string =>
  incoming !== undefined && SANE_ID.test(incoming) ? incoming : randomUUID()

/** Where an inner middleware leaves the cause of a 5xx it turned into a response (one request, one fiber). */
const ServerErrorCause = FiberRef.unsafeMake<{ cause: Cause.Cause<unknown> | undefined } | undefined>(undefined)

/**
 * Called by a middleware that turns a failure into a 5xx response: the request's one log
 * line (written here, by `observeRequests`) then carries the cause. It logs nothing itself.
 */
export const reportServerError = (cause: Cause.Cause<unknown>): Effect.Effect<void> =>
  Effect.map(FiberRef.get(ServerErrorCause), (slot) => {
    if (slot !== undefined) slot.cause = cause
  })

/** `/readyz` answers 503 by design; its state changes are logged once each by `Readiness`. */
const QUIET_5XX = new Set(["/readyz"])

/**
 * The outermost HTTP middleware: a request id on every request (kept from a sane incoming
 * `x-request-id`, else a new UUID), annotated on every log line written while handling it and
 * returned as `x-request-id`; latency and count by route template, method and status; and
 * exactly one log line for every 5xx, with the request id, the route and the cause. Paths are
 * logged without their query string, and no header is logged (tokens ride in `Authorization`).
 */
export const observeRequests =
  (metrics: Metrics) =>
  (app: HttpApp.Default): HttpApp.Default =>
    Effect.gen(function* () {
      const req = yield* HttpServerRequest.HttpServerRequest
      const incoming = req.headers["x-request-id"]
      const requestId = requestIdOf(incoming)
      const started = performance.now()
      const path = req.url.split("?")[0]!
      const route = routeTemplate(req.method, path)
      const slot: { cause: Cause.Cause<unknown> | undefined } = { cause: undefined }
      // The platform writes the response inside `app` (a server middleware only sees it after):
      // the header goes on through a pre-response handler, registered before the app runs.
      yield* HttpApp.appendPreResponseHandler((_req, out) =>
        Effect.succeed(HttpServerResponse.setHeader(out, "x-request-id", requestId)),
      )
      const res = yield* app.pipe(
        // A failure here was already answered by the platform (from the same cause).
        Effect.catchAllCause((cause) => {
          slot.cause = cause
          return Effect.map(HttpServerError.causeResponse(cause), ([response]) => response)
        }),
        Effect.locally(ServerErrorCause, slot),
        Effect.annotateLogs("requestId", requestId),
      )
      const seconds = (performance.now() - started) / 1000
      const labels = { route, method: req.method, status: res.status }
      metrics.inc("vibestack_http_requests_total", labels)
      metrics.observe("vibestack_http_request_seconds", seconds, labels)
      if (res.status >= 500 && !QUIET_5XX.has(path)) {
        metrics.inc("vibestack_http_server_errors_total")
        yield* Effect.logError(
          `HTTP ${res.status} ${req.method} ${path.slice(0, 300)}: ${describe(res, slot.cause)}`,
        ).pipe(
          Effect.annotateLogs({
            requestId,
            method: req.method,
            route,
            status: res.status,
            durationMs: Math.round(seconds * 1000),
          }),
        )
      }
      return res
    }) as HttpApp.Default

/** The error the client was told (our error shape), else the cause's first lines. */
const describe = (res: HttpServerResponse.HttpServerResponse, cause: Cause.Cause<unknown> | undefined): string => {
  const told = toldError(res)
  const why =
    cause === undefined || Cause.isEmpty(cause)
      ? undefined
      : Cause.pretty(cause).split("\n").slice(0, 3).join(" | ").slice(0, 1000)
  return [told, why].filter((s) => s !== undefined).join(" — ") || "no error body"
}

const toldError = (res: HttpServerResponse.HttpServerResponse): string | undefined => {
  if (res.body._tag !== "Uint8Array") return undefined
  try {
    const json = JSON.parse(new TextDecoder().decode(res.body.body)) as { error?: { kind?: string; message?: string } }
    return json.error ? `${json.error.kind}: ${String(json.error.message).slice(0, 500)}` : undefined
  } catch {
    return undefined
  }
}
