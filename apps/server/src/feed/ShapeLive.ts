import * as HttpApiBuilder from "@effect/platform/HttpApiBuilder"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import { Principal, VibeStackApi } from "@vibestack/shared"
import { Effect } from "effect"
import { Feed } from "./Feed.js"
import { ShapeService } from "./ShapeService.js"

/**
 * `GET /api/v1/shape` (the contract's `shape` group), answered raw: long-polls, the
 * `electric-*` headers and bodies built as text do not go through the Schema encoder.
 * Building it starts this node's WAL consumer (servers only, never the CLI).
 */
export const ShapeLive = HttpApiBuilder.group(VibeStackApi, "shape", (handlers) =>
  Effect.gen(function* () {
    const shapes = yield* ShapeService
    const feed = yield* Feed
    yield* feed.startConsumer
    return handlers.handleRaw("shape", () =>
      Effect.gen(function* () {
        const req = yield* HttpServerRequest.HttpServerRequest
        const principal = yield* Principal
        const res = yield* shapes.handle(new URL(req.url, "http://x").searchParams, principal)
        const options = {
          status: res.status,
          headers: res.headers,
          contentType: res.headers["content-type"] ?? "application/json",
        }
        return typeof res.body === "string"
          ? HttpServerResponse.text(res.body, options)
          : HttpServerResponse.uint8Array(res.body, options)
      }),
    )
  }),
)
