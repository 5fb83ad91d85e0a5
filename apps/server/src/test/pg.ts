import { mkdtempSync, rmSync } from "node:fs"
import { createServer } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { type EmbeddedPg, startEmbeddedPg } from "../db/EmbeddedPostgres.js"

/** A free TCP port on 127.0.0.1, asked of the kernel. */
export const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const srv = createServer()
    srv.once("error", reject)
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address()
      const port = typeof addr === "object" && addr ? addr.port : 0
      srv.close(() => resolve(port))
    })
  })

export interface TestPg extends EmbeddedPg {
  /** Stops Postgres and deletes its data folder. */
  readonly dispose: () => Promise<void>
}

/** A real Postgres for one test file: its own port and temporary data folder. */
export const startTestPg = async (settings?: Record<string, string>): Promise<TestPg> => {
  const root = mkdtempSync(join(tmpdir(), "vibestack-pg-"))
  const pg = await startEmbeddedPg({
    dataDir: join(root, "data"),
    port: await freePort(),
    // Tests trade durability for speed only where they say so; the default stays durable.
    settings: { ...settings },
  })
  return {
    ...pg,
    dispose: async () => {
      await pg.stop().catch(() => {})
      rmSync(root, { recursive: true, force: true })
    },
  }
}
