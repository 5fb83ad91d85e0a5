import type { IncomingMessage, ServerResponse } from "node:http"
import { statusOfKind } from "@vibestack/shared"
import { Effect, Fiber, FiberSet, Layer } from "effect"
import { Tokens } from "../auth/Tokens.js"
import { HttpNodeServer } from "../live/LiveServer.js"
import { requestIdOf } from "../logging/observeRequests.js"
import { Metrics } from "../metrics/Metrics.js"
import { routeTemplate } from "../metrics/routeTemplate.js"
import { type ShapeResponse, ShapeService } from "./ShapeService.js"
import { shapeError } from "./shapeResponse.js"

const PATH = "/api/v1/shape"
const ROUTE = routeTemplate("GET", PATH)

/** Only the plain spelling: anything unusual (case, slashes, HEAD) is the platform's to route. */
const isShapeRequest = (req: IncomingMessage): boolean => {
  const url = req.url ?? ""
  return req.method === "GET" && url.startsWith(PATH) && (url.length === PATH.length || url[PATH.length] === "?")
}

const write = (res: ServerResponse, r: ShapeResponse) => {
  if (res.headersSent || res.destroyed) return
  res.writeHead(r.status, r.headers)
  res.end(r.body)
}

/**
 * `GET /api/v1/shape?…` with a bearer token, answered on the Node server directly, as the
 * live socket is: every follower holds one long-poll, so a commit to a whole table with 100
 * followers is 100 responses and 100 new requests, and the platform's router, middleware
 * and spans were most of that cost (profiled: about 80 % of the server's CPU at 100
 * shapes). The answer is the same as the HttpApi route's (`ShapeLive.ts`), which still
 * serves everything else (no or a malformed `Authorization`, other spellings of the path)
 * and documents the route in OpenAPI. What the platform's middleware would do for a GET
 * is done here too (`logging/observeRequests.ts`): the error shape, `x-request-id`,
 * `vibestack_http_requests_total` and its timing by route, one log line per 5xx.
 */
export const ShapeHttpLive = Layer.scopedDiscard(
  Effect.gen(function* () {
    const node = yield* HttpNodeServer
    const shapes = yield* ShapeService
    const tokens = yield* Tokens
    const metrics = yield* Metrics
    // Requests still running when the server stops are interrupted with it.
    const run = yield* FiberSet.makeRuntime<never>()

    const answer = (req: IncomingMessage, token: string) =>
      Effect.gen(function* () {
        const caller = yield* Effect.either(tokens.verify(token))
        if (caller._tag === "Left") {
          const { kind, message } = caller.left.error
          return shapeError(statusOfKind[kind] ?? 401, kind, message)
        }
        return yield* shapes.handle(new URL(req.url!, "http://x").searchParams, caller.right)
      })

    const handler = (req: IncomingMessage, res: ServerResponse): boolean => {
      if (!isShapeRequest(req)) return false
      const auth = req.headers.authorization
      if (auth === undefined || !auth.startsWith("Bearer ") || auth.length <= 7) return false
      const started = performance.now()
      const requestId = requestIdOf(req.headers["x-request-id"] as string | undefined)
      const done = (r: ShapeResponse) => {
        write(res, { ...r, headers: { ...r.headers, "x-request-id": requestId } })
        const seconds = (performance.now() - started) / 1000
        const labels = { route: ROUTE, method: "GET", status: r.status }
        metrics.inc("vibestack_http_requests_total", labels)
        metrics.observe("vibestack_http_request_seconds", seconds, labels)
        // As observeRequests does: one log line per 5xx, with the request id and what the client was told.
        if (r.status >= 500) {
          metrics.inc("vibestack_http_server_errors_total")
          run(
            Effect.logError(`HTTP ${r.status} GET ${PATH}: ${typeof r.body === "string" ? r.body : "page"}`).pipe(
              Effect.annotateLogs({ requestId, method: "GET", route: ROUTE, status: r.status }),
              Effect.annotateLogs("durationMs", Math.round(seconds * 1000)),
            ),
          )
        }
      }
      // A follower's next long-poll, with everything cached: no fiber at all.
      const caller = tokens.verifyCached(auth.slice(7))
      const follow = caller && shapes.follow(new URL(req.url!, "http://x").searchParams, caller)
      if (follow) {
        const cancel = follow(done)
        res.once("close", () => {
          if (!res.writableFinished) cancel()
        })
        return true
      }
      const fiber = run(
        answer(req, auth.slice(7)).pipe(
          Effect.catchAllCause((cause) =>
            Effect.as(
              Effect.logError("shape request failed", cause),
              shapeError(503, "Unavailable", "the change feed is unavailable; retry"),
            ),
          ),
          Effect.map(done),
        ),
      )
      // A follower that went away ends its long-poll at once.
      res.once("close", () => {
        if (!res.writableFinished) run(Fiber.interrupt(fiber))
      })
      return true
    }
    const remove = node.addRequestHandler(handler)
    yield* Effect.addFinalizer(() => Effect.sync(remove))
  }),
)
