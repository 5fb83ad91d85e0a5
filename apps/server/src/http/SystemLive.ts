import * as HttpApiBuilder from "@effect/platform/HttpApiBuilder"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as OpenApi from "@effect/platform/OpenApi"
import { VibeStackApi } from "@vibestack/shared"
import { Effect, Ref } from "effect"
import { Readiness } from "../health/Readiness.js"
import { Metrics } from "../metrics/Metrics.js"
import { ServerConfigTag } from "../ServerConfigTag.js"
import { HealthProbes } from "./HealthProbes.js"

/** A figure for /healthz, or null when it takes longer than a liveness answer may wait. */
const quick = <A>(figure: Effect.Effect<A | null>) =>
  Effect.timeoutTo(figure, { duration: "250 millis", onTimeout: () => null, onSuccess: (a) => a })

export const SystemLive = HttpApiBuilder.group(VibeStackApi, "system", (handlers) =>
  Effect.gen(function* () {
    const metrics = yield* Metrics
    const config = yield* ServerConfigTag
    const probes = yield* HealthProbes
    const readiness = yield* Readiness
    const spec = OpenApi.fromApi(VibeStackApi)
    return handlers
      .handle("health", () =>
        Effect.gen(function* () {
          // Liveness never waits on Postgres (I8: answers within 1 s whatever the database
          // does): the readiness report judged last in the background, not a fresh one.
          const report = readiness.last()
          const p = yield* Ref.get(probes)
          const database = report.checks.find((c) => c.name === "database")?.status === "ok" ? "ok" : "down"
          return {
            status: report.status === "ok" ? ("ok" as const) : ("degraded" as const),
            database: database as "ok" | "down",
            replicationLagBytes: yield* quick(p.replicationLagBytes),
            projectionLag: yield* quick(p.projectionLag),
            node: config.nodeId,
            ready: report.status !== "unavailable",
            uptimeSeconds: Math.round(process.uptime()),
            checks: report.checks,
          }
        }),
      )
      .handleRaw("ready", () =>
        Effect.map(readiness.check, (report) => {
          const body = { status: report.status, node: config.nodeId, checks: report.checks }
          if (report.status !== "unavailable") return HttpServerResponse.unsafeJson(body)
          // S10: a 503 carries the error shape; the checks ride along for whoever reads on.
          const failing = report.checks.filter((c) => c.status === "unavailable")
          const message = `not ready: ${failing.map((c) => `${c.name}: ${c.reason}`).join("; ")}`
          return HttpServerResponse.unsafeJson({ error: { kind: "Unavailable", message }, ...body }, { status: 503 })
        }),
      )
      .handleRaw("metrics", () =>
        config.metricsPublic
          ? Effect.map(metrics.render, (text) => HttpServerResponse.text(text, { contentType: metrics.contentType }))
          : Effect.succeed(HttpServerResponse.empty({ status: 404 })),
      )
      .handleRaw("openapi", () => Effect.succeed(HttpServerResponse.unsafeJson(spec)))
  }),
)
