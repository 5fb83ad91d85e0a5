import { Effect, Either } from "effect"
import { describe, expect, it } from "vitest"
import { LoroPoolService } from "./LoroPoolService.js"
import { MemoryDocSource } from "./test/MemoryDocSource.js"
import { TestClient } from "./test/testFixtures.js"

describe("LoroPoolService", () => {
  const layer = () => LoroPoolService.layer({ workers: 1, maxDocsPerWorker: 4, source: new MemoryDocSource() })

  it("runs pool calls inside the layer's scope, typed by operation", async () => {
    const client = new TestClient(31n)
    const blob = client.addEntities(0, 2)
    const program = Effect.gen(function* () {
      const pool = yield* LoroPoolService
      const results = yield* pool.importStored("w", "d", [blob])
      const info = yield* pool.run("w", "d", "versionInfo", undefined)
      return { results, info }
    })
    const { results, info } = await Effect.runPromise(Effect.provide(program, layer()))
    expect(results).toEqual([{ ok: true }])
    // Imported but not committed: the committed state is still empty.
    expect(info.changeCount).toBe(0)
  })

  it("answers Loro's failure on stored data as an Internal API error, and a closed pool as Unavailable", async () => {
    // An update where a snapshot must be: the operation throws inside the worker.
    const notASnapshot = new TestClient(32n).addEntities(0, 1)
    const failed = await Effect.runPromise(
      Effect.provide(
        Effect.flatMap(LoroPoolService, (pool) =>
          Effect.either(pool.run("w", "d", "inspectSnapshot", { snapshot: notASnapshot, verify: false })),
        ),
        layer(),
      ),
    )
    expect(Either.isLeft(failed) && failed.left.error.kind).toBe("Internal")
    // The layer's scope is closed after the program: a call made with the service afterwards has no pool.
    const pool = await Effect.runPromise(Effect.provide(LoroPoolService, layer()))
    const closed = await Effect.runPromise(Effect.either(pool.run("w", "d", "versionInfo", undefined)))
    expect(Either.isLeft(closed) && closed.left.error.kind).toBe("Unavailable")
  })
})
