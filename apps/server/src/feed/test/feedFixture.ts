import type pg from "pg"
import { afterAll, beforeAll } from "vitest"
import { startTestPg, type TestPg } from "../../test/pg.js"
import { connect, type FeedServer, startFeedServer } from "./feedServer.js"

export interface FeedFixture {
  readonly pgServer: TestPg
  readonly srv: FeedServer
  readonly db: pg.Client
}

/**
 * A Postgres (with these settings), a real server on it and a client, for the tests of the
 * enclosing `describe`: started before them, stopped after. Read its fields inside tests.
 * `env` is set while they run (the server reads its feed options at start).
 */
export const useFeedServer = (settings?: Record<string, string>, env: Record<string, string> = {}): FeedFixture => {
  const f = {} as { pgServer: TestPg; srv: FeedServer; db: pg.Client }
  beforeAll(async () => {
    Object.assign(process.env, env)
    f.pgServer = await startTestPg(settings)
    f.srv = await startFeedServer(f.pgServer)
    f.db = await connect(f.pgServer.url)
  }, 60_000)
  afterAll(async () => {
    for (const k of Object.keys(env)) delete process.env[k]
    await f.db?.end()
    await f.srv?.stop()
    await f.pgServer?.dispose()
  })
  return f
}
