import type { ChildProcess } from "node:child_process"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { spawnServer } from "@vibestack/server/src/test/serverProcess.js"

/** The real server as a separate process (so load generation does not share its event loop). */
export const startServerProcess = async (
  databaseUrl: string,
  port: number,
  env: Record<string, string> = {},
): Promise<{ url: string; child: ChildProcess; stop: () => Promise<void> }> => {
  const dataDir = mkdtempSync(join(tmpdir(), "vibestack-bench-"))
  const server = await spawnServer(
    {
      DATABASE_URL: databaseUrl,
      VIBESTACK_DATA_DIR: dataDir,
      VIBESTACK_JWT_SECRET: "bench-secret-bench-secret-bench-secret",
      // Benchmarks measure the engine, not the per-workspace push limiter.
      VIBESTACK_PUSHES_PER_SECOND: "0",
      ...env,
    },
    port,
  )
  return {
    url: server.url,
    child: server.child,
    stop: async () => {
      server.child.kill("SIGTERM")
      await server.exited
      rmSync(dataDir, { recursive: true, force: true })
    },
  }
}
