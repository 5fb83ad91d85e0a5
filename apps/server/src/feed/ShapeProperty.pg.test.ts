import fc from "fast-check"
import type pg from "pg"
import { afterAll, beforeAll, describe, it } from "vitest"
import { startTestPg, type TestPg } from "../test/pg.js"
import { connect, type FeedServer, startFeedServer } from "./test/feedServer.js"
import { runScenario, scenarioArb } from "./test/shapeProperty.js"

describe("where shapes against Postgres (fast-check, Electric client)", () => {
  let pgServer: TestPg
  let srv: FeedServer
  let db: pg.Client

  beforeAll(async () => {
    pgServer = await startTestPg()
    srv = await startFeedServer(pgServer)
    db = await connect(pgServer.url)
  }, 60_000)
  afterAll(async () => {
    await db?.end()
    await srv?.stop()
    await pgServer?.dispose()
  })

  it("[W10] random rows, edits and wheres: the client's shape equals SELECT … WHERE after every step", async () => {
    await fc.assert(
      fc.asyncProperty(scenarioArb, (s) => runScenario(srv, db, s)),
      { numRuns: 4, endOnFailure: true },
    )
  }, 240_000)
})
