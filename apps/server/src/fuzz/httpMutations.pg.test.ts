import fc from "fast-check"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { writeLoroChecksum } from "../store/blobHeader.js"
import { seeded } from "../test/faults/faultRun.js"
import { api, loroUpdate } from "../test/http.js"
import { startTestServer, type TestServer } from "../test/server.js"

/**
 * Random bytes against the real server: mutated Loro updates with a valid checksum (so
 * they pass the pure-JS header check and reach the Loro pool), and random HTTP bodies for
 * the JSON routes. Every answer is 200/201 or 4xx, never 5xx and never a hang; the
 * document still serves a snapshot and its log afterwards. Seeds are printed.
 */
const runs = Number(process.env.VIBESTACK_FUZZ_RUNS ?? 120)
let server: TestServer
beforeAll(async () => {
  server = await startTestServer()
})
afterAll(async () => {
  await server?.stop()
})

const timed = (p: Promise<{ status: number }>) =>
  Promise.race([p, new Promise<{ status: number }>((r) => setTimeout(() => r({ status: -1 }), 20_000))])

describe("fuzz: hostile bytes over HTTP", () => {
  it("[B1] mutated Loro updates with recomputed checksums: 200 or 4xx, never 5xx or a hang; the doc still exports", async () => {
    const seed = Number(process.env.FC_SEED ?? Math.floor(Math.random() * 2 ** 31))
    console.log(`[fuzz] mutations seed=${seed} runs=${runs} (replay: FC_SEED=${seed})`)
    const random = seeded(seed)
    const http = api(server.url)
    const { workspaceId: ws, masterToken: t } = await http.register("mutations")
    const statuses = new Map<number, number>()
    for (let i = 0; i < runs; i++) {
      // Independent updates (no dependencies), so only the mutation decides the answer.
      const bytes = loroUpdate(1 + (i % 5), BigInt(i + 1))
      const flips = 1 + Math.floor(random() * 4)
      for (let f = 0; f < flips; f++) {
        // Past the 22-byte header: the body is what the checksum covers.
        const at = 22 + Math.floor(random() * Math.max(1, bytes.length - 22))
        if (at < bytes.length) bytes[at] = Math.floor(random() * 256)
      }
      const r = await timed(http.push(ws, t, writeLoroChecksum(bytes), `m${i}`))
      statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1)
      if (r.status === -1 || r.status >= 500) throw new Error(`seed ${seed} mutation ${i}: status ${r.status}`)
    }
    console.log(`[fuzz] mutations seed=${seed}: ${JSON.stringify([...statuses])}`)
    // The document is still whole: a valid update is accepted, the snapshot and log serve.
    expect((await http.push(ws, t, loroUpdate(3, 999_999n), "valid-after")).status).toBe(200)
    const snap = await http.call("GET", `/api/v1/workspaces/${ws}/docs/main/snapshot`, { token: t })
    expect(snap.status).toBe(200)
    expect((await http.pull(ws, t, 0)).status).toBe(200)
  })

  it("[B3] random bodies, content types and JSON on the JSON routes: never 5xx", async () => {
    const http = api(server.url)
    const { workspaceId: ws, masterToken: t } = await http.register("bodies")
    const body = fc.oneof(
      fc.jsonValue().map((v) => JSON.stringify(v)),
      fc.string(),
      fc.constantFrom(
        '{"__proto__":{"role":"master"}}',
        '{"role":"editor","expiresInSeconds":1e309}',
        "{",
        '{"name":' + "9".repeat(400) + "}",
      ),
    )
    const route = fc.constantFrom(
      { method: "POST", path: "/api/v1/workspaces", auth: false },
      { method: "POST", path: `/api/v1/workspaces/${ws}/tokens`, auth: true },
      { method: "GET", path: `/api/v1/workspaces/${ws}/docs/main/updates?after=`, auth: true },
    )
    await fc.assert(
      fc.asyncProperty(
        route,
        body,
        fc.constantFrom("application/json", "text/plain", "application/octet-stream"),
        async (rt, b, ct) => {
          const path = rt.method === "GET" ? `${rt.path}${encodeURIComponent(b.slice(0, 40))}` : rt.path
          const r = await timed(
            http.call(rt.method, path, {
              ...(rt.auth ? { token: t } : {}),
              ...(rt.method === "GET" ? {} : { body: b }),
              headers: { "content-type": ct },
            }),
          )
          expect(r.status).toBeGreaterThan(0)
          expect(r.status).toBeLessThan(500)
        },
      ),
      { numRuns: runs, ...(process.env.FC_SEED ? { seed: Number(process.env.FC_SEED) } : {}) },
    )
  })
})
