import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { api, updateChain } from "../http.js"
import { subscribed } from "../liveClient.js"
import { startTestServer, type TestServer } from "../server.js"
import { RestartablePg } from "./RestartablePg.js"

/**
 * Regression for the F2 finding (seed 464007799): @effect/sql-pg 0.53's `listen` swallowed
 * errors of its LISTEN connection, so after a Postgres restart live sockets silently stopped
 * receiving updates. The Bus now owns a reconnecting LISTEN connection; an open live socket
 * must still be told about commits made after a restart.
 */
let pg: RestartablePg
let server: TestServer
beforeAll(async () => {
  pg = await RestartablePg.start()
  const shared = { url: pg.url, port: pg.port, dataDir: pg.dataDir, stop: async () => {}, dispose: async () => {} }
  server = await startTestServer({ pg: shared })
})
afterAll(async () => {
  await server?.stop()
  await pg?.dispose()
})

describe("live fan-out across a Postgres restart", () => {
  for (const mode of ["fast", "immediate"] as const) {
    it(`[F2] a socket opened before a ${mode} restart still receives updates committed after it`, async () => {
      const http = api(server.url)
      const { workspaceId: ws, masterToken: t } = await http.register(`listen-${mode}`)
      const chain = updateChain(2)
      expect((await http.push(ws, t, chain[0]!, "a")).status).toBe(200)
      const sock = await subscribed(server.url, ws, t)
      await pg.stop(mode)
      await pg.start()
      // The first push after the restart may meet a dead pooled connection: retry until acked.
      let status = 0
      for (let i = 0; i < 100 && status !== 200; i++) {
        status = (await http.push(ws, t, chain[1]!, "b")).status
        if (status !== 200) await new Promise((r) => setTimeout(r, 200))
      }
      expect(status).toBe(200)
      // Bounded wait for delivery (not a timing assertion: 30 s is "never" here).
      const got = await sock.waitFor(() => sock.updates.some((u) => u.seq === 2), 30_000).catch(() => false)
      expect(got).toBe(true)
    })
  }
})
