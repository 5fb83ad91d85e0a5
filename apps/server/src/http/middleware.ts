import * as HttpApiBuilder from "@effect/platform/HttpApiBuilder"
import * as HttpApp from "@effect/platform/HttpApp"
import * as HttpServerError from "@effect/platform/HttpServerError"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import { NodeHttpServerRequest } from "@effect/platform-node"
import { type ErrorKind, statusOfKind } from "@vibestack/shared"
import { Cause, Effect, Either, FiberRef, Option } from "effect"
import type { AnonymousRoute, Limits } from "../limits/Limits.js"
import { RetryAfter } from "../limits/Limits.js"
import { reportServerError } from "../logging/observeRequests.js"
import { originAllowed } from "./origins.js"
import { jsonTooDeep, readBody } from "./readBody.js"

const errorJson = (status: number, kind: string, message: string, headers?: Record<string, string>) =>
  HttpServerResponse.unsafeJson({ error: { kind, message } }, { status, ...(headers ? { headers } : {}) })

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
const BINARY_ROUTES = [
  /^\/api\/v1\/workspaces\/[^/]+\/docs\/[^/]+\/updates$/,
  /^\/api\/v1\/workspaces\/[^/]+\/backups\/upload$/,
  /^\/api\/v1\/backups\/import$/,
]
/** Routes anyone may call, limited per client address (S18). */
const ANONYMOUS_ROUTES: ReadonlyArray<readonly [RegExp, AnonymousRoute]> = [
  [/^\/api\/v1\/workspaces$/, "workspaceCreate"],
  [/^\/api\/v1\/backups\/import$/, "backupImport"],
]
const STATE_CHANGING = new Set(["POST", "PUT", "PATCH", "DELETE"])
/** Deeper than any request of ours; recursion in decoding and error messages stays shallow (S15). */
export const MAX_JSON_DEPTH = 64

/**
 * The path as the router matches it (find-my-way-ts, as the platform configures it): no
 * scheme/host prefix, duplicate slashes merged, cut at `?`, `;` or `#`, URI-decoded, no
 * trailing slash, lower case. Classifying by anything else would let `/API/v1//workspaces/`
 * reach a route while dodging its limits.
 */
export const routerPath = (url: string): string => {
  let path = url.charCodeAt(0) === 47 ? url : url.replace(/^https?:\/\/.*?\//, "/")
  path = path.replace(/\/\/+/g, "/")
  const cut = path.slice(1).search(/[?;#]/)
  if (cut >= 0) path = path.slice(0, cut + 1)
  try {
    path = decodeURI(path)
  } catch {
    // The router does not match an undecodable path either.
  }
  if (path.length > 1 && path.endsWith("/")) path = path.slice(0, -1)
  return path.toLowerCase()
}

const mediaType = (header: string | undefined) => header?.split(";")[0]?.trim().toLowerCase()
const hasBody = (headers: Readonly<Record<string, string | undefined>>) =>
  headers["transfer-encoding"] !== undefined || Number(headers["content-length"] ?? 0) !== 0

export interface MiddlewareOptions {
  readonly limits: Limits
  readonly maxJsonBytes: number
  /** Browser origins allowed on state-changing requests (S16, http/origins.ts). */
  readonly origins: ReadonlySet<string>
}

/**
 * What every HTTP request passes before its handler, in order: browser checks on
 * state-changing requests (a foreign `Origin` is 403, a body of the wrong media type 415:
 * S16), per-address limits on anonymous routes (429: S18), and for JSON routes a body read
 * to at most `maxJsonBytes` (413, answered after draining: S15) and nested at most
 * `MAX_JSON_DEPTH` deep (400). After it: every 5xx gets the error shape too (S10), every 429
 * its `Retry-After`.
 */
export const makeMiddleware =
  (options: MiddlewareOptions) =>
  (app: HttpApp.Default): HttpApp.Default =>
    Effect.gen(function* () {
      const req = yield* HttpServerRequest.HttpServerRequest
      const path = routerPath(req.url)
      // `app` writes its own response; this hook is the last word on it.
      yield* HttpApp.appendPreResponseHandler((_req, res) => finish(res))
      return yield* Effect.gen(function* () {
        const refusal = yield* checks(options, req, path)
        if (refusal) return refusal
        const body = yield* bufferedJsonBody(options, req, path)
        if (body && typeof body !== "string") return body
        // The handler reads the body already read here: the request, with only its text replaced.
        return yield* body === undefined
          ? app
          : Effect.provideService(app, HttpServerRequest.HttpServerRequest, withText(req, body))
      }).pipe(
        // Failures reach here as Respondable errors (our API errors, the platform's decode
        // errors, route-not-found); turn each into its response so it can be normalized.
        // A 5xx's cause goes to the request's one log line (logging/observeRequests.ts).
        Effect.catchAllCause((cause) =>
          Effect.flatMap(HttpServerError.causeResponse(cause), ([response, rest]) =>
            response.status >= 500 && !Cause.isInterruptedOnly(rest)
              ? Effect.as(reportServerError(rest), response)
              : Effect.succeed(response),
          ),
        ),
        Effect.flatMap(finish),
      )
    }) as HttpApp.Default

/** Browser checks (S16) and anonymous rate limits (S18); a response when the request is refused. */
const checks = (options: MiddlewareOptions, req: HttpServerRequest.HttpServerRequest, path: string) =>
  Effect.gen(function* () {
    const binary = BINARY_ROUTES.some((r) => r.test(path))
    if (STATE_CHANGING.has(req.method)) {
      if (!originAllowed(options.origins, req.headers.origin))
        return errorJson(403, "Forbidden", "cross-site request refused: this Origin is not allowed")
      const expected = binary ? "application/octet-stream" : "application/json"
      const type = mediaType(req.headers["content-type"])
      if (type !== undefined ? type !== expected : hasBody(req.headers))
        return errorJson(415, "BadRequest", `the body must be ${expected}`)
    }
    const anonymous = req.method === "POST" ? ANONYMOUS_ROUTES.find(([r]) => r.test(path))?.[1] : undefined
    if (anonymous !== undefined) {
      const address = Option.getOrElse(req.remoteAddress, () => "unknown")
      const limited = yield* Effect.either(options.limits.checkAnonymous(anonymous, address))
      if (Either.isLeft(limited)) return errorJson(429, "Overloaded", limited.left.error.message)
    }
    return undefined
  })

/**
 * A JSON route's body, read to at most `maxJsonBytes` and checked for depth (S15): the text,
 * a refusal, or undefined when there is nothing to read here (binary routes read their own).
 */
const bufferedJsonBody = (options: MiddlewareOptions, req: HttpServerRequest.HttpServerRequest, path: string) =>
  Effect.gen(function* () {
    if (!STATE_CHANGING.has(req.method) || !hasBody(req.headers) || BINARY_ROUTES.some((r) => r.test(path)))
      return undefined
    const body = yield* Effect.promise(() =>
      readBody(NodeHttpServerRequest.toIncomingMessage(req), options.maxJsonBytes),
    )
    if (body === "too-large")
      return errorJson(413, "PayloadTooLarge", `request bodies may be at most ${options.maxJsonBytes} bytes`)
    if (body === "aborted") return errorJson(400, "BadRequest", "request body aborted")
    const text = new TextDecoder().decode(body)
    if (jsonTooDeep(text, MAX_JSON_DEPTH))
      return errorJson(400, "BadRequest", `JSON may nest at most ${MAX_JSON_DEPTH} levels`)
    return text
  })

/**
 * The same request (its Node response, URL, headers, address) whose body reads as `text`.
 * A Proxy rather than a new request: the platform writes the response through the request
 * object it finds in context, and marks it there as answered.
 */
const withText = (req: HttpServerRequest.HttpServerRequest, text: string): HttpServerRequest.HttpServerRequest => {
  const body = Effect.succeed(text)
  return new Proxy(req, {
    get: (target, key, receiver) => (key === "text" ? body : Reflect.get(target, key, receiver)),
  })
}

/** A 5xx without a body gets the error shape; a 429 says when to come back. */
const finish = (res: HttpServerResponse.HttpServerResponse) =>
  Effect.gen(function* () {
    if (res.status >= 500 && res.body._tag === "Empty") return errorJson(res.status, "Internal", "internal error")
    if (res.status === 429 && res.headers["retry-after"] === undefined) {
      const seconds = Option.getOrElse(yield* FiberRef.get(RetryAfter), () => 1)
      return HttpServerResponse.setHeader(res, "retry-after", String(seconds))
    }
    return res
  })
