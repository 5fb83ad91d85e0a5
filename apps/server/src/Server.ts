import * as HttpApiBuilder from "@effect/platform/HttpApiBuilder"
import * as HttpServer from "@effect/platform/HttpServer"
import { NodeHttpServer } from "@effect/platform-node"
import { VibeStackApi } from "@vibestack/shared"
import { Effect, Layer, Option } from "effect"
import { JwtSecret } from "./auth/JwtSecret.js"
import { Tokens } from "./auth/Tokens.js"
import { BackupCore } from "./backup/BackupCore.js"
import { BackupImportLive, BackupsLive } from "./backup/BackupsLive.js"
import { Bus } from "./bus/Bus.js"
import type { ServerConfig } from "./Config.js"
import { checkWalLevel, DatabaseLive, migrate } from "./db/Database.js"
import { Feed } from "./feed/Feed.js"
import { ShapeHttpLive } from "./feed/ShapeHttp.js"
import { ShapeLive } from "./feed/ShapeLive.js"
import { ShapeService } from "./feed/ShapeService.js"
import { FeedMonitorLive } from "./health/FeedMonitor.js"
import { PoolEvents } from "./health/PoolEvents.js"
import { Readiness } from "./health/Readiness.js"
import { AuthenticationLive } from "./http/AuthenticationLive.js"
import { DocsLive } from "./http/DocsLive.js"
import { HandlerGuardLive } from "./http/HandlerGuard.js"
import { HealthProbes } from "./http/HealthProbes.js"
import { ErrorShapeLive, makeMiddleware } from "./http/middleware.js"
import { NodeServer } from "./http/NodeServer.js"
import { allowedOrigins } from "./http/origins.js"
import { SystemLive } from "./http/SystemLive.js"
import { staticFiles } from "./http/staticFiles.js"
import { TokensLive, WorkspacesLive } from "./http/WorkspacesLive.js"
import { Limits } from "./limits/Limits.js"
import { defaultLiveLimits } from "./live/Connection.js"
import { HttpNodeServer, LiveServerLive } from "./live/LiveServer.js"
import { observeRequests } from "./logging/observeRequests.js"
import { Metrics } from "./metrics/Metrics.js"
import { Projector } from "./projection/Projector.js"
import { ServerConfigTag } from "./ServerConfigTag.js"
import { ByteStore } from "./store/ByteStore.js"
import { CommitHub } from "./store/CommitHub.js"
import { CrashBudget } from "./store/CrashBudget.js"
import { DocPoolLive } from "./store/DocPoolLive.js"
import { PushService } from "./store/PushService.js"

/** Migrations and the wal_level check run before anything serves. */
const DatabaseReady = Layer.effectDiscard(Effect.zipRight(checkWalLevel, migrate))

/** The server's services, without HTTP: also what the CLI's database commands use. */
export const CoreLive = (config: ServerConfig, options: { attachEmbedded?: boolean } = {}) => {
  const db = Layer.merge(DatabaseLive(config, options), Layer.succeed(ServerConfigTag, config))
  const base = Layer.mergeAll(
    Bus.Default,
    JwtSecret.layer(config),
    HealthProbes.layer,
    CommitHub.Default,
    PoolEvents.Default,
  ).pipe(Layer.provideMerge(Metrics.Default), Layer.provideMerge(DatabaseReady))
  const store = ByteStore.Default
  // A CLI command works on a document or two: one worker (and its warm spare) is enough.
  const pool = DocPoolLive({
    workers: options.attachEmbedded ? 1 : 2,
    maxDocsPerWorker: 256,
    warm: !options.attachEmbedded,
  })
  // The CLI drives the projection itself (rebuild/status); only a server runs it in the background.
  const projector = options.attachEmbedded ? Projector.Manual : Projector.Default
  const services = Layer.mergeAll(Tokens.Default, PushService.Default, projector).pipe(
    Layer.provideMerge(Limits.Default),
    Layer.provideMerge(CrashBudget.Default),
    Layer.provideMerge(pool),
    Layer.provideMerge(store),
    Layer.provideMerge(base),
  )
  // The change feed's consumer starts only when the shape route is mounted (servers, not the CLI).
  const feed = ShapeService.Default.pipe(Layer.provideMerge(Feed.layer()))
  const backups = BackupCore({ scheduled: !options.attachEmbedded })
  return Layer.merge(feed, backups).pipe(Layer.provideMerge(services), Layer.provideMerge(db))
}

export const ApiLive = HttpApiBuilder.api(VibeStackApi).pipe(
  Layer.provide([WorkspacesLive, TokensLive, DocsLive, SystemLive, BackupsLive, BackupImportLive, ShapeLive]),
  Layer.provide(AuthenticationLive),
  Layer.provide(ErrorShapeLive),
)

/**
 * The whole server: HTTP API, live socket, static web app, on one Node server.
 * `processGuard` (for `vibestack serve`): uncaught exceptions are logged and survived.
 */
export const ServerLive = (
  config: ServerConfig,
  nodeServer: NodeServer = new NodeServer(),
  options: { readonly processGuard?: boolean } = {},
) => {
  const clientDist = Option.getOrElse(config.clientDist, () => "apps/client/dist")
  const StaticLive = HttpApiBuilder.Router.use((router) => router.get("*", staticFiles(clientDist)))
  const HttpLive = Layer.unwrapEffect(
    Effect.map(Effect.all([Metrics, Limits]), ([metrics, limits]) => {
      const checks = makeMiddleware({ limits, maxJsonBytes: config.maxJsonBytes, origins: allowedOrigins(config) })
      return HttpApiBuilder.serve((app) => observeRequests(metrics)(checks(app)))
    }),
  ).pipe(
    Layer.provide(StaticLive),
    Layer.provide(ApiLive),
    HttpServer.withLogAddress,
    Layer.provide(NodeHttpServer.layer(() => nodeServer, { port: config.port, host: config.host })),
  )
  const LiveLive = LiveServerLive({ ...defaultLiveLimits, heartbeatMs: config.liveHeartbeatMs }).pipe(
    Layer.provide(Layer.succeed(HttpNodeServer, nodeServer)),
  )
  const ShapeFastLive = ShapeHttpLive.pipe(Layer.provide(Layer.succeed(HttpNodeServer, nodeServer)))
  const GuardLive = HandlerGuardLive(nodeServer, { processGuard: options.processGuard ?? false })
  // Readiness and the feed's watcher run where requests are served, not in the CLI.
  const HealthLive = Layer.merge(Readiness.Default, FeedMonitorLive)
  return Layer.mergeAll(HttpLive, LiveLive, ShapeFastLive, GuardLive).pipe(
    Layer.provideMerge(HealthLive),
    Layer.provideMerge(CoreLive(config)),
  )
}
