import fc from "fast-check"
import type pg from "pg"
import { afterAll, beforeAll, describe, it } from "vitest"
import { startTestPg, type TestPg } from "../test/pg.js"
import { connect, type FeedServer, startFeedServer } from "./test/feedServer.js"
import { runScenario, scenarioArb } from "./test/shapeProperty.js"

/** The fault tier's longer run of ShapeProperty.pg.test.ts, with small pages. */
describe("where shapes against Postgres, long run", () => {
  let pgServer: TestPg
  let srv: FeedServer
  let db: pg.Client

  beforeAll(async () => {
    process.env.VIBESTACK_FEED_PAGE_BYTES = "600"
    pgServer = await startTestPg()
    srv = await startFeedServer(pgServer)
    db = await connect(pgServer.url)
  }, 60_000)
  afterAll(async () => {
    delete process.env.VIBESTACK_FEED_PAGE_BYTES
    await db?.end()
    await srv?.stop()
    await pgServer?.dispose()
  })

  it("[W10] 60 runs of random rows, edits and wheres: the client's shape equals SELECT … WHERE after every step", async () => {
    await fc.assert(
      fc.asyncProperty(scenarioArb, (s) => runScenario(srv, db, s)),
      { numRuns: 60, endOnFailure: true },
    )
  }, 1_200_000)
})
