import fc from "fast-check"
import { describe, it } from "vitest"
import { useFeedServer } from "./test/feedFixture.js"
import { runScenario, scenarioArb } from "./test/shapeProperty.js"

describe("where shapes against Postgres (fast-check, Electric client)", () => {
  const f = useFeedServer()

  it("[W10] random rows, edits and wheres: the client's shape equals SELECT … WHERE after every step", async () => {
    await fc.assert(
      fc.asyncProperty(scenarioArb, (s) => runScenario(f.srv, f.db, s)),
      { numRuns: 4, endOnFailure: true },
    )
  }, 240_000)
})
