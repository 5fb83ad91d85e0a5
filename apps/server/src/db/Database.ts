import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { Migrator, SqlClient } from "@effect/sql"
import { PgClient } from "@effect/sql-pg"
import { sqlMigrations } from "@vibestack/migrations"
import { Context, Data, Effect, Layer, Option, Redacted, String as Str } from "effect"
import pg from "pg"
import type { ServerConfig } from "../Config.js"
import { bestEffort } from "../logging/bestEffort.js"
import { isAlive, runningEmbeddedPg, startEmbeddedPg } from "./EmbeddedPostgres.js"

export class DatabaseError extends Data.TaggedError("DatabaseError")<{ readonly message: string }> {}

/** int8 (seqs, counts) as JS numbers: every value we keep there is far below 2^53. */
const types: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: "text" | "binary") =>
    oid === 20
      ? (v: string) => Number(v)
      : pg.types.getTypeParser(oid, format as "text")) as pg.CustomTypesConfig["getTypeParser"],
}

/** The connection URL: the configured one, or an embedded Postgres started for this process. */
export const resolveDatabaseUrl = (config: ServerConfig, options: { attachEmbedded?: boolean } = {}) =>
  Option.match(config.databaseUrl, {
    onSome: (url) => Effect.succeed(url),
    onNone: () =>
      Effect.acquireRelease(
        Effect.tryPromise({
          try: async () => {
            const dataDir = join(config.dataDir, "pg")
            const running = options.attachEmbedded ? runningEmbeddedPg(dataDir) : undefined
            if (running) return running
            // A server owns its embedded Postgres; a postmaster left by a killed server is stopped first.
            guardSingleServer(config.dataDir, options.attachEmbedded === true)
            return startEmbeddedPg({
              dataDir: join(config.dataDir, "pg"),
              port: Option.getOrElse(config.embeddedPgPort, () => config.port + 2432),
              // Stopped by this layer's release, after the feed, the pools and the workers.
              stopOnSignals: false,
            })
          },
          catch: (e) => new DatabaseError({ message: `could not start embedded Postgres: ${String(e)}` }),
        }),
        (pgServer) => bestEffort("stopping embedded Postgres", () => pgServer.stop()),
      ).pipe(Effect.map((pgServer) => Redacted.make(pgServer.url))),
  })

export const pgLayer = (url: Redacted.Redacted, maxConnections = 20) =>
  PgClient.layer({
    url,
    maxConnections,
    // pg's pool otherwise waits forever for a connection Postgres never completes.
    connectTimeout: "10 seconds",
    types,
    transformResultNames: Str.snakeToCamel,
    applicationName: "vibestack",
  } as Parameters<typeof PgClient.layer>[0])

/** Fails clearly when the server cannot use this Postgres (the change feed needs logical WAL). */
export const checkWalLevel = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  const rows = yield* sql<{ walLevel: string }>`select current_setting('wal_level') as wal_level`
  const level = rows[0]?.walLevel
  if (level !== "logical") {
    return yield* new DatabaseError({
      message: `Postgres has wal_level=${level}; VibeStack needs wal_level=logical (set it in postgresql.conf and restart Postgres)`,
    })
  }
})

/** Runs every pending server migration in one transaction under the migrations table lock. */
export const migrate = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  const loader = Migrator.fromRecord(
    Object.fromEntries(sqlMigrations.map((m) => [`${m.id}_${m.name}`, Effect.asVoid(sql.unsafe(m.sql))] as const)),
  )
  const run = Migrator.make({})({ loader, table: "vibestack_migrations" })
  // Two nodes starting at once may race on creating the migrations table itself: retry once.
  return yield* run.pipe(Effect.retry({ times: 2 }))
})

/** The connection URL, for the few clients that need a dedicated connection (LISTEN, replication). */
export class DatabaseUrl extends Context.Tag("DatabaseUrl")<DatabaseUrl, Redacted.Redacted>() {}

export const DatabaseLive = (config: ServerConfig, options: { attachEmbedded?: boolean } = {}) =>
  Layer.unwrapScoped(
    Effect.map(resolveDatabaseUrl(config, options), (url) =>
      Layer.merge(pgLayer(url), Layer.succeed(DatabaseUrl, url)),
    ),
  )

/** Two servers must not both own one embedded data folder; a dead one's pid file is taken over. */
const guardSingleServer = (dataDir: string, isCli: boolean) => {
  if (isCli) return
  mkdirSync(dataDir, { recursive: true })
  const file = join(dataDir, "server.pid")
  if (existsSync(file)) {
    const pid = Number(readFileSync(file, "utf8"))
    if (pid !== process.pid && Number.isInteger(pid) && pid > 0 && isAlive(pid))
      throw new Error(`another VibeStack server (pid ${pid}) is using ${dataDir}; stop it or set VIBESTACK_DATA_DIR`)
  }
  writeFileSync(file, String(process.pid))
}
