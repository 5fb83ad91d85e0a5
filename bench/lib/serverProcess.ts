import { type ChildProcess, spawn } from "node:child_process"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"

/** The real server as a separate process (so load generation does not share its event loop). */
export const startServerProcess = async (
  databaseUrl: string,
  port: number,
  env: Record<string, string> = {},
): Promise<{ url: string; child: ChildProcess; stop: () => Promise<void> }> => {
  const dataDir = mkdtempSync(join(tmpdir(), "vibestack-bench-"))
  const child = spawn(process.execPath, [join(import.meta.dirname, "../../apps/server/bin/vibestack.mjs"), "serve"], {
    env: {
      ...process.env,
      PORT: String(port),
      DATABASE_URL: databaseUrl,
      VIBESTACK_DATA_DIR: dataDir,
      VIBESTACK_JWT_SECRET: "bench-secret-bench-secret-bench-secret",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  })
  let log = ""
  child.stdout!.on("data", (d) => (log += d))
  child.stderr!.on("data", (d) => (log += d))
  const url = `http://127.0.0.1:${port}`
  const deadline = Date.now() + 60_000
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited: ${log}`)
    try {
      if ((await fetch(`${url}/healthz`)).ok) break
    } catch {}
    if (Date.now() > deadline) throw new Error(`server did not start: ${log}`)
    await new Promise((r) => setTimeout(r, 100))
  }
  return {
    url,
    child,
    stop: async () => {
      child.kill("SIGTERM")
      await new Promise((r) => child.once("exit", r))
      rmSync(dataDir, { recursive: true, force: true })
    },
  }
}
