import type { ChildProcess } from "node:child_process"
import { api } from "../http.js"
import { spawnServer } from "../serverProcess.js"

/**
 * One `vibestack serve` child on a fixed port that a test can SIGKILL, pause (SIGSTOP),
 * resume (SIGCONT) and start again, so the proxy in front of it keeps its target.
 */
export class ServerProcess {
  private child: ChildProcess | undefined
  private exited: Promise<number | null> = Promise.resolve(null)
  private logs: Array<string> = []
  private readLog: () => string = () => ""
  starts = 0
  /** How long the first Loro-pool request took after each start (cold worker threads). */
  readonly coldMs: Array<number> = []

  constructor(
    readonly env: Record<string, string>,
    readonly port: number,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`
  }

  get pid(): number | undefined {
    return this.child?.pid
  }

  /**
   * Starts the server and waits until /healthz answers 200. With `warm` (default) it then
   * makes one request that needs the Loro worker pool: on this machine the first one after
   * a start takes ~10 s (worker threads compiling), longer than a client's request timeout,
   * which would turn every restart into a long backoff rather than the fault under test.
   */
  async start(options: { readonly warm?: boolean } = {}): Promise<void> {
    if (this.child) throw new Error("server already running")
    const s = await spawnServer(this.env, this.port)
    this.child = s.child
    this.exited = s.exited
    this.readLog = s.log
    this.starts++
    if (options.warm ?? true) {
      const t = Date.now()
      const http = api(this.url)
      const { workspaceId, masterToken } = await http.register("warm-up")
      await http.call("GET", `/api/v1/workspaces/${workspaceId}/docs/main/snapshot`, { token: masterToken })
      this.coldMs.push(Date.now() - t)
    }
  }

  /** SIGKILL: no finalizer runs, in-flight requests die mid-transaction. */
  async kill(): Promise<void> {
    const c = this.child
    if (!c) return
    this.child = undefined
    c.kill("SIGCONT") // a stopped process still dies on SIGKILL, but be explicit
    c.kill("SIGKILL")
    await this.exited
    this.logs.push(this.readLog())
  }

  /** SIGTERM: a clean stop. */
  async stop(): Promise<void> {
    const c = this.child
    if (!c) return
    this.child = undefined
    c.kill("SIGCONT")
    c.kill("SIGTERM")
    const t = setTimeout(() => c.kill("SIGKILL"), 15_000)
    await this.exited
    clearTimeout(t)
    this.logs.push(this.readLog())
  }

  pause(): void {
    this.child?.kill("SIGSTOP")
  }

  resume(): void {
    this.child?.kill("SIGCONT")
  }

  async restart(): Promise<void> {
    await this.kill()
    await this.start()
  }

  /** Everything every incarnation printed (for failure messages and the I7 token check). */
  log(): string {
    return [...this.logs, this.child ? this.readLog() : ""].join("\n")
  }
}
