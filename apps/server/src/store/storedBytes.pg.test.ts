import { randomBytes } from "node:crypto"
import { SqlClient } from "@effect/sql"
import { sqlMigrations } from "@vibestack/migrations"
import { Effect, Redacted } from "effect"
import fc from "fast-check"
import pg from "pg"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { pgLayer } from "../db/Database.js"
import { startTestPg, type TestPg } from "../test/pg.js"
import { assemblePieces, newestSnapshotBlob, PIECE, updateBlobs } from "./storedBytes.js"

/**
 * Large stored blobs are read as base64 pieces (`storedBytes.ts`); these check that what comes
 * back is byte for byte what was stored, around the pieces' edges, with the same rows chosen as
 * a plain read would.
 */
let server: TestPg
let db: pg.Client
beforeAll(async () => {
  server = await startTestPg()
  db = new pg.Client({ connectionString: server.url })
  await db.connect()
  for (const m of sqlMigrations) await db.query(m.sql)
})
afterAll(async () => {
  await db?.end()
  await server?.dispose()
})

const run = <A>(f: (sql: SqlClient.SqlClient) => Effect.Effect<A, unknown>) =>
  Effect.runPromise(
    Effect.scoped(
      Effect.flatMap(SqlClient.SqlClient, f).pipe(Effect.provide(pgLayer(Redacted.make(server.url), 2))),
    ) as Effect.Effect<A>,
  )

let docs = 0
const newDoc = async () => {
  const ws = `ws-bytes-${docs++}`
  await db.query("insert into workspaces (id, name, creator_key_hash, master_token_id) values ($1, 'w', 'h', 't')", [
    ws,
  ])
  await db.query("insert into docs (workspace_id, doc_id) values ($1, 'main')", [ws])
  return ws
}
const storeUpdate = (ws: string, seq: number, bytes: Uint8Array) =>
  db.query("insert into doc_updates (workspace_id, doc_id, seq, bytes) values ($1, 'main', $2, $3)", [
    ws,
    seq,
    Buffer.from(bytes),
  ])
const storeSnapshot = (ws: string, seq: number, bytes: Uint8Array) =>
  db.query("insert into doc_snapshots (workspace_id, doc_id, seq, bytes) values ($1, 'main', $2, $3)", [
    ws,
    seq,
    Buffer.from(bytes),
  ])
const same = (a: Uint8Array | undefined, b: Uint8Array) => a !== undefined && Buffer.from(a).equals(Buffer.from(b))

/** Sizes around the pieces' edges, empty included. */
const EDGES = [0, 1, PIECE - 1, PIECE, PIECE + 1, 2 * PIECE + 5]

describe("stored blobs read in pieces", () => {
  it("gives back every update byte for byte, in seq order, around the pieces' edges", async () => {
    const ws = await newDoc()
    const blobs = EDGES.map((n) => randomBytes(n))
    for (const [i, b] of blobs.entries()) await storeUpdate(ws, i + 1, b)
    const read = await run((sql) => updateBlobs(sql, ws, "main", 0))
    expect(read.map((r) => r.seq)).toEqual(EDGES.map((_, i) => i + 1))
    read.forEach((r, i) => expect(same(r.bytes, blobs[i]!), `update of ${EDGES[i]} bytes`).toBe(true))
    // Bounds: after 2, up to 4.
    const some = await run((sql) => updateBlobs(sql, ws, "main", 2, { upTo: 4 }))
    expect(some.map((r) => r.seq)).toEqual([3, 4])
    expect(same(some[1]!.bytes, blobs[3]!)).toBe(true)
  })

  it("gives back the newest snapshot (at or below a seq when asked), or none", async () => {
    const ws = await newDoc()
    expect(await run((sql) => newestSnapshotBlob(sql, ws, "main"))).toBeUndefined()
    const older = randomBytes(PIECE + 1)
    const newer = randomBytes(3 * PIECE - 7)
    await storeSnapshot(ws, 5, older)
    await storeSnapshot(ws, 9, newer)
    const newest = await run((sql) => newestSnapshotBlob(sql, ws, "main"))
    expect(newest?.seq).toBe(9)
    expect(same(newest?.bytes, newer)).toBe(true)
    const atMost8 = await run((sql) => newestSnapshotBlob(sql, ws, "main", 8))
    expect(atMost8?.seq).toBe(5)
    expect(same(atMost8?.bytes, older)).toBe(true)
    expect(await run((sql) => newestSnapshotBlob(sql, ws, "main", 4))).toBeUndefined()
  })

  it("leaves out updates quarantined with the reason asked for, and only those", async () => {
    const ws = await newDoc()
    const blobs = [randomBytes(10), randomBytes(PIECE + 3), randomBytes(20)]
    for (const [i, b] of blobs.entries()) await storeUpdate(ws, i + 1, b)
    await db.query("insert into projection_quarantine (workspace_id, doc_id, seq, reason) values ($1, 'main', 2, $2)", [
      ws,
      "import: not a Loro update",
    ])
    await db.query("insert into projection_quarantine (workspace_id, doc_id, seq, reason) values ($1, 'main', 3, $2)", [
      ws,
      "rows: something else",
    ])
    const read = await run((sql) => updateBlobs(sql, ws, "main", 0, { exceptQuarantined: "import" }))
    expect(read.map((r) => r.seq)).toEqual([1, 3])
    expect(same(read[1]!.bytes, blobs[2]!)).toBe(true)
  })

  it("reassembles any split of blobs into pieces, and refuses pieces that do not add up", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.uint8Array({ maxLength: 40 }), fc.integer({ min: 1, max: 7 })), { maxLength: 6 }),
        (blobs) => {
          const rows = blobs.flatMap(([bytes, piece], i) => {
            const out = []
            for (let at = 0; at === 0 || at < bytes.length; at += piece)
              out.push({
                seq: i + 1,
                size: bytes.length,
                base64: Buffer.from(bytes.slice(at, at + piece)).toString("base64"),
              })
            return out
          })
          const read = assemblePieces(rows)
          expect(read.map((r) => r.seq)).toEqual(blobs.map((_, i) => i + 1))
          read.forEach((r, i) => expect(Buffer.from(r.bytes).equals(Buffer.from(blobs[i]![0]))).toBe(true))
        },
      ),
    )
    expect(() => assemblePieces([{ seq: 1, size: 4, base64: Buffer.from([1, 2]).toString("base64") }])).toThrow(
      /2 of 4 bytes/,
    )
    expect(() => assemblePieces([{ seq: 1, size: 1, base64: Buffer.from([1, 2]).toString("base64") }])).toThrow(
      /more than its 1 bytes/,
    )
  })
})
