import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { startEmbeddedPg } from "../../db/EmbeddedPostgres.js"
import { freePort } from "../pg.js"

const alive = (pid: number) => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

/**
 * An embedded Postgres that a test can stop like `pg_ctl stop -m fast` (SIGINT: roll back,
 * checkpoint) or `-m immediate` (SIGQUIT: no checkpoint, crash recovery on start) and start
 * again on the same data folder and port, so clients' DATABASE_URL stays valid.
 */
export class RestartablePg {
  private constructor(
    readonly root: string,
    readonly port: number,
  ) {}

  static async start(): Promise<RestartablePg> {
    const r = new RestartablePg(mkdtempSync(join(tmpdir(), "vibestack-pgr-")), await freePort())
    await r.start()
    return r
  }

  get url(): string {
    return `postgres://postgres:vibestack@127.0.0.1:${this.port}/postgres`
  }

  get dataDir(): string {
    return join(this.root, "data")
  }

  async start(): Promise<void> {
    await startEmbeddedPg({ dataDir: this.dataDir, port: this.port })
  }

  /** Signals the postmaster and waits until it is gone. */
  async stop(mode: "fast" | "immediate"): Promise<void> {
    const pidFile = join(this.dataDir, "postmaster.pid")
    if (!existsSync(pidFile)) return
    const pid = Number(readFileSync(pidFile, "utf8").split("\n")[0])
    if (!Number.isInteger(pid) || !alive(pid)) return
    process.kill(pid, mode === "fast" ? "SIGINT" : "SIGQUIT")
    const deadline = Date.now() + 60_000
    while (alive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50))
  }

  async dispose(): Promise<void> {
    await this.stop("fast").catch(() => {})
    rmSync(this.root, { recursive: true, force: true })
  }
}
