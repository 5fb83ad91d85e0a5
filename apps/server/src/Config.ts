import { Config, type Option, type Redacted } from "effect"
import { HealthConfig } from "./health/HealthConfig.js"
import { LimitsConfig } from "./limits/LimitsConfig.js"

/** Everything configurable, read once through Effect's Config (environment by default). */
export interface ServerConfig {
  readonly port: number
  readonly host: string
  /** Unset: embedded Postgres under `dataDir`. */
  readonly databaseUrl: Option.Option<Redacted.Redacted>
  readonly dataDir: string
  /** Port of the embedded Postgres; default PORT + 2432 (3000 → 5432). */
  readonly embeddedPgPort: Option.Option<number>
  /** Unset: generated once into `dataDir/jwt-secret`. */
  readonly jwtSecret: Option.Option<Redacted.Redacted>
  /** Base of share links; unset: `http://host:port`. */
  readonly publicUrl: Option.Option<string>
  /**
   * Browser origins allowed besides the public URL and the listen origin(s), for
   * state-changing requests and the live socket (http/origins.ts).
   */
  readonly allowedOrigins: ReadonlyArray<string>
  readonly maxUpdateBytes: number
  readonly maxJsonBytes: number
  readonly maxPullLimit: number
  readonly pullPageBytes: number
  readonly clientDist: Option.Option<string>
  readonly nodeId: string
  readonly metricsPublic: boolean
  /** Server ping interval on live sockets; a socket that misses one ping is cut off. */
  readonly liveHeartbeatMs: number
  /** Seconds of clock skew tolerated on token expiry (JWT `exp`, the tokens row, open sockets). */
  readonly clockToleranceSeconds: number
  /** Rate limits and quotas (docs/SECURITY.md). */
  readonly limits: LimitsConfig
  /** Loro panics one workspace may cause per `crashWindowSeconds` before its pushes get 429 (S13). */
  readonly crashBudget: number
  readonly crashWindowSeconds: number
  /** Where /readyz turns degraded (`VIBESTACK_HEALTH_*`, docs/OPERATIONS.md). */
  readonly health: HealthConfig
}

export const ServerConfig: Config.Config<ServerConfig> = Config.all({
  port: Config.integer("PORT").pipe(Config.withDefault(3000)),
  host: Config.string("HOST").pipe(Config.withDefault("127.0.0.1")),
  databaseUrl: Config.option(Config.redacted("DATABASE_URL")),
  dataDir: Config.string("VIBESTACK_DATA_DIR").pipe(Config.withDefault(".vibestack")),
  embeddedPgPort: Config.option(Config.integer("VIBESTACK_PG_PORT")),
  jwtSecret: Config.option(Config.redacted("VIBESTACK_JWT_SECRET")),
  publicUrl: Config.option(Config.string("VIBESTACK_PUBLIC_URL")),
  allowedOrigins: Config.array(Config.string(), "VIBESTACK_ALLOWED_ORIGINS").pipe(Config.withDefault([])),
  maxUpdateBytes: Config.integer("VIBESTACK_MAX_UPDATE_BYTES").pipe(Config.withDefault(4 * 1024 * 1024)),
  maxJsonBytes: Config.integer("VIBESTACK_MAX_JSON_BYTES").pipe(Config.withDefault(64 * 1024)),
  maxPullLimit: Config.integer("VIBESTACK_MAX_PULL_LIMIT").pipe(Config.withDefault(10_000)),
  pullPageBytes: Config.integer("VIBESTACK_PULL_PAGE_BYTES").pipe(Config.withDefault(8 * 1024 * 1024)),
  clientDist: Config.option(Config.string("VIBESTACK_CLIENT_DIST")),
  nodeId: Config.string("VIBESTACK_NODE_ID").pipe(Config.withDefault(`node-${process.pid}`)),
  metricsPublic: Config.boolean("VIBESTACK_METRICS_PUBLIC").pipe(Config.withDefault(true)),
  liveHeartbeatMs: Config.integer("VIBESTACK_LIVE_HEARTBEAT_MS").pipe(
    Config.validate({
      message: "VIBESTACK_LIVE_HEARTBEAT_MS must be between 1000 and 300000",
      validation: (n) => n >= 1000 && n <= 300_000,
    }),
    Config.withDefault(15_000),
  ),
  clockToleranceSeconds: Config.integer("VIBESTACK_CLOCK_TOLERANCE_SECONDS").pipe(
    Config.validate({
      message: "VIBESTACK_CLOCK_TOLERANCE_SECONDS must be between 0 and 600",
      validation: (n) => n >= 0 && n <= 600,
    }),
    Config.withDefault(60),
  ),
  limits: LimitsConfig,
  crashBudget: Config.integer("VIBESTACK_CRASH_BUDGET").pipe(Config.withDefault(3)),
  crashWindowSeconds: Config.integer("VIBESTACK_CRASH_WINDOW_SECONDS").pipe(Config.withDefault(600)),
  health: HealthConfig,
})
