import { HttpApiBuilder, HttpServerResponse, OpenApi } from "@effect/platform"
import { SqlClient } from "@effect/sql"
import { apiError, VibeStackApi } from "@vibestack/shared"
import { Effect, Ref } from "effect"
import { Metrics } from "../metrics/Metrics.js"
import { ServerConfigTag } from "../ServerConfigTag.js"
import { HealthProbes } from "./HealthProbes.js"

export const SystemLive = HttpApiBuilder.group(VibeStackApi, "system", (handlers) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const metrics = yield* Metrics
    const config = yield* ServerConfigTag
    const probes = yield* HealthProbes
    const spec = OpenApi.fromApi(VibeStackApi)
    return handlers
      .handle("health", () =>
        Effect.gen(function* () {
          const database = yield* sql`select 1`.pipe(
            Effect.timeout("800 millis"),
            Effect.as("ok" as const),
            Effect.orElseSucceed(() => "down" as const),
          )
          const p = yield* Ref.get(probes)
          const replicationLagBytes = yield* p.replicationLagBytes
          const projectionLag = yield* p.projectionLag
          const status = database === "ok" ? ("ok" as const) : ("degraded" as const)
          if (status !== "ok") return yield* Effect.fail(apiError("Unavailable", "database unreachable"))
          return { status, database, replicationLagBytes, projectionLag, node: config.nodeId }
        }),
      )
      .handleRaw("metrics", () =>
        config.metricsPublic
          ? Effect.succeed(
              HttpServerResponse.text(metrics.render(), { contentType: "text/plain; version=0.0.4; charset=utf-8" }),
            )
          : Effect.succeed(HttpServerResponse.empty({ status: 404 })),
      )
      .handleRaw("openapi", () => Effect.succeed(HttpServerResponse.unsafeJson(spec)))
  }),
)
