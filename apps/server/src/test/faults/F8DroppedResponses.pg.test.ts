import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { api, updateChain } from "../http.js"
import { startTestServer, type TestServer } from "../server.js"
import { readServerLog } from "./serverLog.js"
import { startTcpProxy } from "./TcpProxy.js"

let server: TestServer
beforeAll(async () => {
  server = await startTestServer()
})
afterAll(async () => {
  await server?.stop()
})

describe("F8 responses dropped so clients retry (quick tier)", () => {
  it("[F8] a push whose response is lost, retried with its key: one row per idempotency key", async () => {
    const proxy = await startTcpProxy({ port: server.port })
    try {
      const direct = api(server.url)
      const lossy = api(proxy.url)
      const { workspaceId: ws, masterToken: t } = await direct.register("f8")
      const chain = updateChain(5)
      proxy.setMode("dropResponses")
      for (const [i, u] of chain.entries()) {
        // The request reaches the server and commits; the answer is reset on the way back.
        await expect(lossy.push(ws, t, u, `key-${i}`)).rejects.toThrow()
      }
      proxy.setMode("pass")
      for (const [i, u] of chain.entries()) {
        const again = await lossy.push(ws, t, u, `key-${i}`)
        expect(again.status).toBe(200)
        expect(again.json).toEqual({ seq: i + 1, duplicate: true })
      }
      const log = await readServerLog(server.pg.url, ws)
      expect(log.map((r) => r.key)).toEqual(chain.map((_, i) => `key-${i}`))
    } finally {
      await proxy.close()
    }
  })
})
