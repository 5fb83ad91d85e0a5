import { HttpApiBuilder, HttpServerRequest, HttpServerResponse } from "@effect/platform"
import { Effect } from "effect"
import { Feed } from "./Feed.js"
import { ShapeService } from "./ShapeService.js"

/**
 * Mounts `GET /api/v1/shape` as a raw route: its long-polls and `electric-*` headers do
 * not fit the HttpApi contract. Mounting it also starts this node's WAL consumer.
 */
export const ShapeRouteLive = HttpApiBuilder.Router.use((router) =>
  Effect.gen(function* () {
    const shapes = yield* ShapeService
    const feed = yield* Feed
    yield* feed.startConsumer
    yield* router.get(
      "/api/v1/shape",
      Effect.gen(function* () {
        const req = yield* HttpServerRequest.HttpServerRequest
        const query = new URL(req.url, "http://x").searchParams
        const res = yield* shapes.handle(query, req.headers.authorization)
        return HttpServerResponse.text(res.body, {
          status: res.status,
          headers: res.headers,
          contentType: res.headers["content-type"] ?? "application/json",
        })
      }),
    )
  }),
)
