import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Option } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { api } from "../test/http.js"
import { startTestPg, type TestPg } from "../test/pg.js"
import { startTestServer, type TestServer } from "../test/server.js"
import { openConnectionsAfter, runSurfaceFuzz } from "./test/httpSurface.js"

/**
 * Full tier of the HTTP + upgrade surface fuzz: many more requests, and a second server whose
 * limits are tight enough that 429 / 413 paths are taken too.
 */
const runs = Number(process.env.VIBESTACK_FUZZ_RUNS ?? 3000)
let pg: TestPg
let open: TestServer
let tight: TestServer
const dist = mkdtempSync(join(tmpdir(), "vibestack-fuzz-dist-"))
beforeAll(async () => {
  writeFileSync(join(dist, "index.html"), "<!doctype html><title>app</title>")
  pg = await startTestPg()
  open = await startTestServer({ pg, config: { clientDist: Option.some(dist) } })
  tight = await startTestServer({
    pg,
    config: {
      limits: {
        workspaceCreates: { perSecond: 1, burst: 3 },
        backupImports: { perSecond: 1, burst: 2 },
        pushes: { perSecond: 2, burst: 5 },
        workspaceMaxBytes: 20_000,
        workspaceMaxDocs: 4,
      },
    },
  })
}, 300_000)
afterAll(async () => {
  await open?.stop()
  await tight?.stop()
  await pg?.dispose()
  rmSync(dist, { recursive: true, force: true })
})

describe("fuzz (full tier): the HTTP and upgrade surface", () => {
  for (const [name, server] of [
    ["default limits", () => open],
    ["tight limits", () => tight],
  ] as const) {
    it(`[S14][S10][B2][B3][B5] ${name}: well-formed answers below 500, the error shape, /healthz after each, no socket left open`, {
      timeout: 3_600_000,
    }, async () => {
      const srv = server()
      const seed = Number(process.env.FC_SEED ?? Math.floor(Math.random() * 2 ** 31))
      console.log(`[fuzz] http surface (${name}) seed=${seed} runs=${runs} (replay: FC_SEED=${seed})`)
      const { workspaceId, masterToken } = await api(srv.url).register("surface")
      const statuses = await runSurfaceFuzz(
        { port: srv.port, workspaceId, token: masterToken, ownOrigin: srv.url },
        runs,
        seed,
      )
      console.log(`[fuzz] http surface (${name}) seed=${seed}: ${JSON.stringify([...statuses])}`)
      expect((await fetch(`${srv.url}/healthz`)).status).toBe(200)
      expect(await openConnectionsAfter(srv, 20_000)).toBe(0)
    })
  }
})
