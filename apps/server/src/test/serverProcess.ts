import { type ChildProcess, spawn } from "node:child_process"
import { appendFileSync } from "node:fs"
import { join } from "node:path"

const BIN = join(import.meta.dirname, "../../bin/vibestack.mjs")

/**
 * Test and benchmark servers register many workspaces from one address: the anonymous rate
 * limits are off unless a test sets them (limits/limits.pg.test.ts does).
 */
const TEST_ENV = { VIBESTACK_WORKSPACE_CREATES_PER_MINUTE: "0", VIBESTACK_BACKUP_IMPORTS_PER_MINUTE: "0" }

/** `vibestack serve` as a child process (so tests can SIGKILL it), ready once /healthz answers. */
export const spawnServer = async (
  env: Record<string, string>,
  port: number,
): Promise<{ child: ChildProcess; url: string; log: () => string; exited: Promise<number | null> }> => {
  // For benchmarks: VIBESTACK_CPU_PROF=<dir>, the server writes a V8 CPU profile there when it
  // exits; VIBESTACK_SERVER_NODE_FLAGS, more Node/V8 flags for it (e.g. "--trace-gc");
  // VIBESTACK_SERVER_LOG=<file>, its output appended there as it comes.
  const prof = process.env.VIBESTACK_CPU_PROF
  const extra = process.env.VIBESTACK_SERVER_NODE_FLAGS?.split(" ").filter((f) => f !== "") ?? []
  const flags = [...(prof ? ["--cpu-prof", `--cpu-prof-dir=${prof}`] : []), ...extra]
  const logFile = process.env.VIBESTACK_SERVER_LOG
  const child = spawn(process.execPath, [...flags, BIN, "serve"], {
    env: { ...process.env, PORT: String(port), ...TEST_ENV, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  })
  let log = ""
  const take = (d: Buffer) => {
    log += d
    if (logFile !== undefined) appendFileSync(logFile, d)
  }
  child.stdout!.on("data", take)
  child.stderr!.on("data", take)
  const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)))
  const url = `http://127.0.0.1:${port}`
  const deadline = Date.now() + 90_000
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`server exited early:\n${log}`)
    try {
      if ((await fetch(`${url}/healthz`)).status === 200) break
    } catch {}
    if (Date.now() > deadline) {
      child.kill("SIGKILL")
      throw new Error(`server did not become healthy:\n${log}`)
    }
    await new Promise((r) => setTimeout(r, 100))
  }
  return { child, url, log: () => log, exited }
}
