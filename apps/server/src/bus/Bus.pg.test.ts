import { SqlClient } from "@effect/sql"
import { Effect, Layer, Redacted } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { DatabaseUrl, pgLayer } from "../db/Database.js"
import { startTestPg, type TestPg } from "../test/pg.js"
import { Bus, Channel, type UpdatesSignal } from "./Bus.js"

let db: TestPg
beforeAll(async () => {
  db = await startTestPg()
})
afterAll(async () => {
  await db?.dispose()
})

const busLayer = () =>
  Bus.Default.pipe(
    Layer.provideMerge(
      Layer.merge(pgLayer(Redacted.make(db.url), 2), Layer.succeed(DatabaseUrl, Redacted.make(db.url))),
    ),
  )

const until = async (done: () => boolean) => {
  for (let i = 0; i < 200 && !done(); i++) await new Promise((r) => setTimeout(r, 25))
}

describe("Bus.onUpdates", () => {
  it("calls every listener with each committed signal, in order; a listener that throws stops neither the others nor later signals; removal stops one", async () => {
    const seen: Array<[string, number]> = []
    const program = Effect.gen(function* () {
      const bus = yield* Bus
      const sql = yield* SqlClient.SqlClient
      const off = bus.onUpdates((s: UpdatesSignal) => seen.push(["a", s.seq]))
      bus.onUpdates((s) => {
        if (s.seq === 2) throw new Error("a listener's bug")
      })
      bus.onUpdates((s) => seen.push(["c", s.seq]))
      // Sent inside transactions, as commits do: one delivered per commit, in commit order.
      for (const seq of [1, 2, 3])
        yield* sql.withTransaction(bus.notify(Channel.updates, { ws: "w", doc: "main", seq }))
      yield* Effect.promise(() => until(() => seen.length >= 6))
      off()
      yield* bus.notify(Channel.updates, { ws: "w", doc: "main", seq: 4 })
      yield* Effect.promise(() => until(() => seen.some(([, s]) => s === 4)))
    })
    await Effect.runPromise(Effect.scoped(program.pipe(Effect.provide(busLayer()))))
    expect(seen).toEqual([
      ["a", 1],
      ["c", 1],
      ["a", 2],
      ["c", 2],
      ["a", 3],
      ["c", 3],
      ["c", 4],
    ])
  })
})
