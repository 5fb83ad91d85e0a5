import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { startTestServer, type TestServer } from "../server.js"
import { runPartitions } from "./partitions.js"

let server: TestServer
beforeAll(async () => {
  server = await startTestServer()
})
afterAll(async () => {
  await server?.stop()
})

describe("F3 network partitions through a TCP proxy (quick tier)", () => {
  it("[F3] drop, blackhole, reset, latency and lost responses while 3 clients edit: I1–I4, I8, half-open detected", async () => {
    const r = await runPartitions({
      serverUrl: server.url,
      serverPort: server.port,
      databaseUrl: server.pg.url,
      clients: 3,
      rounds: 1,
      faultMs: 1_500,
    })
    expect(r.halfOpenDetectedMs.length).toBe(1)
    expect(r.healthMisses).toEqual([])
    expect(r.healthSamples).toBeGreaterThan(0)
    expect(r.acked).toBeGreaterThan(0)
  })
})
