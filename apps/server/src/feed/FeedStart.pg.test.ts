import type pg from "pg"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { startTestPg, type TestPg } from "../test/pg.js"
import { connect, type FeedServer, registerWorkspace, startFeedServer } from "./test/feedServer.js"

describe("a server whose change feed has no slot yet", () => {
  let pgServer: TestPg
  let db: pg.Client
  let srv: FeedServer | undefined
  beforeAll(async () => {
    pgServer = await startTestPg()
    db = await connect(pgServer.url)
  }, 60_000)
  afterAll(async () => {
    await srv?.stop()
    await db?.end()
    await pgServer?.dispose()
  })

  it("[W4] holds its first shape requests until the slot exists, then answers 200", async () => {
    // A first server makes the schema and a workspace; then the database is as new again for
    // the feed: no slot, epoch 0.
    const first = await startFeedServer(pgServer)
    const { masterToken } = await registerWorkspace(first.url, "Early")
    await first.stop()
    await db.query("select pg_drop_replication_slot('vibestack_feed')")
    await db.query("update feed_state set epoch = 0")

    // While this transaction is open the next server cannot create its slot (slot creation
    // waits for transactions that hold an xid, and the epoch bump for the row lock).
    const blocker = await connect(pgServer.url)
    await blocker.query("begin")
    await blocker.query("select epoch from feed_state where id = 1 for update")
    srv = await startFeedServer(pgServer)
    const get = (query: string) =>
      fetch(`${srv!.url}/api/v1/shape?table=tasks&${query}`, { headers: { authorization: `Bearer ${masterToken}` } })
    const settled: Array<string> = []
    const initial = get("offset=-1").finally(() => settled.push("initial"))
    const now = get("offset=now").finally(() => settled.push("now"))
    await new Promise((r) => setTimeout(r, 500))
    expect(settled).toEqual([])
    expect(srv.feed.state().epoch).toBe(0)

    await blocker.query("commit")
    await blocker.end()
    const [a, b] = await Promise.all([initial, now])
    expect(a.status).toBe(200)
    expect(b.status).toBe(200)
    expect(srv.feed.state().epoch).toBe(1)
    expect(Number(a.headers.get("electric-handle")!.split("-")[0])).toBeGreaterThan(0)
  })
})
