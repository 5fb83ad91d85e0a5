import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect, Exit, Layer, Option, Redacted, Scope } from "effect"
import type { ServerConfig } from "../Config.js"
import { defaultHealthConfig } from "../health/HealthConfig.js"
import { NodeServer } from "../http/NodeServer.js"
import { defaultLimits, unlimited } from "../limits/LimitsConfig.js"
import { ServerLive } from "../Server.js"
import { freePort, startTestPg, type TestPg } from "./pg.js"
import { within } from "./within.js"

export interface TestServer {
  readonly url: string
  readonly port: number
  readonly pg: TestPg
  readonly config: ServerConfig
  /** The Node server under it (tests add handlers to it). */
  readonly node: NodeServer
  /** Stops the server (and Postgres, if this server started it). */
  readonly stop: () => Promise<void>
}

export const testConfig = (databaseUrl: string, overrides: Partial<ServerConfig> & { port: number }): ServerConfig => {
  const rest = overrides
  return {
    host: "127.0.0.1",
    dataDir: mkdtempSync(join(tmpdir(), "vibestack-data-")),
    embeddedPgPort: Option.none(),
    jwtSecret: Option.some(Redacted.make("test-secret-that-is-long-enough-for-hs256")),
    publicUrl: Option.none(),
    allowedOrigins: [],
    maxUpdateBytes: 1024 * 1024,
    maxJsonBytes: 64 * 1024,
    maxPullLimit: 10_000,
    pullPageBytes: 8 * 1024 * 1024,
    clientDist: Option.none(),
    nodeId: `test-${process.pid}`,
    metricsPublic: true,
    liveHeartbeatMs: 15_000,
    clockToleranceSeconds: 60,
    // Test files register many workspaces from one address; the limit tests set their own.
    limits: { ...defaultLimits, workspaceCreates: unlimited, backupImports: unlimited },
    crashBudget: 3,
    crashWindowSeconds: 600,
    health: defaultHealthConfig,
    ...rest,
    databaseUrl: Option.some(Redacted.make(databaseUrl)),
  }
}

/**
 * A real server in this process on a free 127.0.0.1 port, against a real Postgres
 * (its own, unless `pg` is given so several servers can share one).
 */
export const startTestServer = async (
  options: {
    pg?: TestPg
    config?: Partial<ServerConfig>
    /** Provided to the whole server: a capturing logger, fault hooks (`ProjectionFaults`). */
    layer?: Layer.Layer<never>
  } = {},
): Promise<TestServer> => {
  const pg = options.pg ?? (await startTestPg())
  const port = await freePort()
  const config = testConfig(pg.url, { port, ...options.config })
  const scope = Effect.runSync(Scope.make())
  const node = new NodeServer()
  const live = ServerLive(config, node)
  await Effect.runPromise(
    Layer.buildWithScope(options.layer === undefined ? live : live.pipe(Layer.provide(options.layer)), scope),
  )
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    pg,
    config,
    node,
    stop: async () => {
      await within(
        `stopping the test server on port ${port}`,
        Effect.runPromise(Scope.close(scope, Exit.void).pipe(Effect.withSpan("stopping the test server"))),
      )
      rmSync(config.dataDir, { recursive: true, force: true })
      if (!options.pg) await pg.dispose()
    },
  }
}
