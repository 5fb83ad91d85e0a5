import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Option } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { api } from "../test/http.js"
import { startTestServer, type TestServer } from "../test/server.js"
import { openConnectionsAfter, runSurfaceFuzz } from "./test/httpSurface.js"

/** Quick tier of the HTTP + upgrade surface fuzz (the full tier: httpSurface.faults.test.ts). */
const runs = Number(process.env.VIBESTACK_FUZZ_RUNS ?? 150)
let server: TestServer
const dist = mkdtempSync(join(tmpdir(), "vibestack-fuzz-dist-"))
beforeAll(async () => {
  writeFileSync(join(dist, "index.html"), "<!doctype html><title>app</title>")
  server = await startTestServer({ config: { clientDist: Option.some(dist) } })
})
afterAll(async () => {
  await server?.stop()
  rmSync(dist, { recursive: true, force: true })
})

describe("fuzz: the HTTP and upgrade surface", () => {
  it("[S14][S10][B2][B3][B5] random methods, paths, headers and bodies: well-formed answers below 500, the error shape, /healthz after each", async () => {
    const seed = Number(process.env.FC_SEED ?? Math.floor(Math.random() * 2 ** 31))
    console.log(`[fuzz] http surface seed=${seed} runs=${runs} (replay: FC_SEED=${seed})`)
    const { workspaceId, masterToken } = await api(server.url).register("surface")
    const statuses = await runSurfaceFuzz(
      { port: server.port, workspaceId, token: masterToken, ownOrigin: server.url },
      runs,
      seed,
    )
    console.log(`[fuzz] http surface seed=${seed}: ${JSON.stringify([...statuses])}`)
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200)
    // Every connection the fuzz opened is closed by the server too (none left half-open).
    expect(await openConnectionsAfter(server, 20_000)).toBe(0)
  })
})
