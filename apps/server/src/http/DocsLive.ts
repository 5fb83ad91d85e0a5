import * as HttpApiBuilder from "@effect/platform/HttpApiBuilder"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import { NodeHttpServerRequest } from "@effect/platform-node"
import { apiError, encodeUpdates, Principal, VibeStackApi } from "@vibestack/shared"
import { Effect } from "effect"
import { Metrics } from "../metrics/Metrics.js"
import { ServerConfigTag } from "../ServerConfigTag.js"
import { ByteStore } from "../store/ByteStore.js"
import { DocPool } from "../store/DocPool.js"
import { PushService } from "../store/PushService.js"
import { requireWorkspace, requireWriter } from "./AuthenticationLive.js"
import { readBody } from "./readBody.js"

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,128}$/

export const DocsLive = HttpApiBuilder.group(VibeStackApi, "docs", (handlers) =>
  Effect.gen(function* () {
    const store = yield* ByteStore
    const pushes = yield* PushService
    const pool = yield* DocPool
    const config = yield* ServerConfigTag
    const metrics = yield* Metrics

    return handlers
      .handleRaw("push", ({ path, headers, request }) =>
        Effect.gen(function* () {
          yield* requireWriter(yield* Principal, path.ws)
          const key = headers["idempotency-key"]
          if (key !== undefined && !IDEMPOTENCY_KEY.test(key))
            return yield* Effect.fail(
              apiError("BadRequest", "Idempotency-Key must be 1-128 printable ASCII characters"),
            )
          const type = request.headers["content-type"]?.split(";")[0]?.trim()
          if (type !== "application/octet-stream")
            return yield* Effect.fail(apiError("BadRequest", "body must be application/octet-stream"))
          const body = yield* Effect.promise(() =>
            readBody(NodeHttpServerRequest.toIncomingMessage(request), config.maxUpdateBytes),
          )
          if (body === "too-large") {
            metrics.inc("vibestack_refused_blobs_total", { reason: "too_large" })
            return yield* Effect.fail(
              apiError("PayloadTooLarge", `an update may be at most ${config.maxUpdateBytes} bytes`),
            )
          }
          if (body === "aborted") return yield* Effect.fail(apiError("BadRequest", "request body aborted"))
          const outcome = yield* pushes.push({
            ws: path.ws,
            doc: path.doc,
            bytes: body,
            idempotencyKey: key,
            clientId: undefined,
          })
          return HttpServerResponse.unsafeJson(outcome)
        }),
      )
      .handleRaw("pull", ({ path, urlParams }) =>
        Effect.gen(function* () {
          yield* requireWorkspace(yield* Principal, path.ws)
          const after = urlParams.after ?? 0
          if (!Number.isSafeInteger(after)) return yield* Effect.fail(apiError("BadRequest", "after is out of range"))
          const limit = Math.min(urlParams.limit ?? 1000, config.maxPullLimit)
          const page = yield* store
            .pull(path.ws, path.doc, after, limit, config.pullPageBytes)
            .pipe(Effect.mapError(() => apiError("Internal", "could not read updates")))
          const cursor = page.records.at(-1)?.seq ?? after
          return HttpServerResponse.uint8Array(encodeUpdates(page.records), {
            contentType: "application/octet-stream",
            headers: {
              "x-vibestack-cursor": String(cursor),
              ...(page.more ? { "x-vibestack-more": "1" } : {}),
              "cache-control": "no-store",
            },
          })
        }),
      )
      .handleRaw("snapshot", ({ path }) =>
        Effect.gen(function* () {
          yield* requireWorkspace(yield* Principal, path.ws)
          const snap = yield* pool.snapshot(path.ws, path.doc)
          return HttpServerResponse.uint8Array(snap.bytes, {
            contentType: "application/octet-stream",
            headers: { "x-vibestack-cursor": String(snap.seq), "cache-control": "no-store" },
          })
        }),
      )
  }),
)
