import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { LoroPoolService, usePool } from "./LoroPoolService.js"
import { MemoryDocSource } from "./MemoryDocSource.js"
import { TestClient } from "./testFixtures.js"

describe("LoroPoolService", () => {
  it("runs pool calls inside the layer's scope", async () => {
    const client = new TestClient(31n)
    const blob = client.addEntities(0, 2)
    const program = Effect.gen(function* () {
      const results = yield* usePool((pool) => pool.validate("w", "d", [blob]))
      const info = yield* usePool((pool) => pool.run("w", "d", "versionInfo", undefined))
      return { results, info }
    })
    const layer = LoroPoolService.layer({ workers: 1, maxDocsPerWorker: 4, source: new MemoryDocSource() })
    const { results, info } = await Effect.runPromise(Effect.provide(program, layer))
    expect(results).toEqual([{ ok: true }])
    // Validated but not committed: the committed state is still empty.
    expect(info.changeCount).toBe(0)
  })
})
