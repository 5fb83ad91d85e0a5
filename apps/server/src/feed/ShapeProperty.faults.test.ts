import fc from "fast-check"
import { describe, it } from "vitest"
import { useFeedServer } from "./test/feedFixture.js"
import { runScenario, scenarioArb } from "./test/shapeProperty.js"

/** The fault tier's longer run of ShapeProperty.pg.test.ts, with small pages. */
describe("where shapes against Postgres, long run", () => {
  const f = useFeedServer(undefined, { VIBESTACK_FEED_PAGE_BYTES: "600" })

  it("[W10] 60 runs of random rows, edits and wheres: the client's shape equals SELECT … WHERE after every step", async () => {
    await fc.assert(
      fc.asyncProperty(scenarioArb, (s) => runScenario(f.srv, f.db, s)),
      { numRuns: 60, endOnFailure: true },
    )
  }, 1_200_000)
})
