import { sqlMigrations } from "@vibestack/migrations"
import fc from "fast-check"
import pg from "pg"
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest"
import { startTestPg, type TestPg } from "../test/pg.js"
import { ChangeWriter, GROUP_SLICE, type PendingChange, type PendingTx } from "./ChangeWriter.js"
import { GroupBuilder } from "./changeGroups.js"
import { type SnapshotQuery, unseenChanges } from "./readSnapshot.js"
import { insertOf } from "./test/changes.js"

let server: TestPg
let db: pg.Client
let writer: ChangeWriter
const failures: Array<unknown> = []
let storedAt: (lsn: number) => Promise<void>

beforeAll(async () => {
  server = await startTestPg()
  db = new pg.Client({ connectionString: server.url })
  await db.connect()
  for (const m of sqlMigrations) await db.query(m.sql)
  const waiters: Array<{ lsn: number; done: () => void; fail: (e: unknown) => void }> = []
  let stored = 0
  writer = new ChangeWriter(server.url, {
    onStored: (lsn) => {
      stored = lsn
      for (const w of waiters.splice(0))
        if (w.lsn <= lsn) w.done()
        else waiters.push(w)
    },
    onFailed: (e) => {
      failures.push(e)
      for (const w of waiters.splice(0)) w.fail(e)
    },
    onDrained: () => {},
  })
  storedAt = (lsn) =>
    lsn <= stored ? Promise.resolve() : new Promise((done, fail) => waiters.push({ lsn, done: () => done(), fail }))
  expect(await writer.holdLock()).toBe(true)
})
afterAll(async () => {
  await writer?.close()
  await db?.end()
  await server?.dispose()
})

// Text as hostile as COPY's text format can meet: its delimiters, escapes and end marker.
const text = fc.string({
  unit: fc.oneof(
    fc.constantFrom("\t", "\n", "\r", "\\", "\\.", "\\N", '"', "é", "😀", "a"),
    // Postgres text holds no NUL and no lone surrogate.
    fc.string({ unit: "binary", maxLength: 1 }).filter((s) => !s.includes("\u0000") && Buffer.from(s).toString() === s),
  ),
})
const json = fc.dictionary(text, fc.option(text, { nil: null }), { maxKeys: 4 }).map((r) => JSON.stringify(r))
const change: fc.Arbitrary<PendingChange> = fc.record({
  tbl: fc.constantFrom("tasks", "projects"),
  ws: text,
  id: text,
  op: fc.constantFrom("i" as const, "u" as const, "d" as const),
  value: json,
  old: fc.option(json, { nil: null }),
})

let lsn = 1_000_000
const tx = (changes: Array<PendingChange>): PendingTx => {
  lsn += 1000
  return { xid: lsn % 4_000_000, lsn, endLsn: lsn + 10, at: new Date(lsn), changes }
}
const logged = async (tx: PendingTx) =>
  (
    await db.query(
      `select pos, xid::float8 as xid, tbl, workspace_id, row_id, op, value, old, committed_at from change_log
       where lsn = $1 order by pos`,
      [tx.lsn],
    )
  ).rows
const expected = (tx: PendingTx) =>
  tx.changes.map((c, i) => ({
    pos: i + 1,
    xid: tx.xid,
    tbl: c.tbl,
    workspace_id: c.ws,
    row_id: c.id,
    op: c.op,
    value: c.value,
    old: c.old,
    committed_at: tx.at,
  }))

describe("ChangeWriter (real Postgres)", () => {
  it("[W1] a batch stores every change's text as received, by COPY (100 changes and more) and by the single statement alike", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(change, { minLength: 1, maxLength: 8 }), async (changes) => {
        // The same changes padded past COPY_FROM, and alone (fewer than COPY_FROM).
        const big = tx(Array.from({ length: 13 }, () => changes).flat())
        const small = tx(changes)
        const inserted = writer.inserted
        writer.enqueue(big)
        writer.enqueue(small)
        await storedAt(small.endLsn)
        expect(writer.inserted - inserted).toBe(big.changes.length + small.changes.length)
        expect(await logged(big)).toEqual(expected(big))
        expect(await logged(small)).toEqual(expected(small))
      }),
      { numRuns: 25 },
    )
    expect(failures).toEqual([])
  })

  it("[W2] a redelivered batch is left out below the stored position, and dropped by the key when the writer forgot it", async () => {
    const changes = Array.from({ length: 150 }, (_, i) => ({
      tbl: "tasks",
      ws: "w",
      id: `r${i}`,
      op: "i" as const,
      value: "{}",
      old: null,
    }))
    const first = tx(changes)
    writer.enqueue(first)
    await storedAt(first.endLsn)
    const inserted = writer.inserted
    const ways = writer as unknown as Record<"copy" | "insert", (batch: Array<PendingTx>) => Promise<number>>
    const copies = vi.spyOn(ways, "copy")
    const statements = vi.spyOn(ways, "insert")
    writer.enqueue(first)
    const next = tx(changes.slice(0, 1))
    writer.enqueue(next)
    await storedAt(next.endLsn)
    expect(writer.inserted - inserted).toBe(1)
    expect(copies).not.toHaveBeenCalled()
    expect(statements.mock.calls.map(([batch]) => batch.map((t) => t.lsn))).toEqual([[next.lsn]])
    statements.mockClear()
    // A writer that lost track of its position: COPY meets the key and the batch goes again
    // through the statement that skips what is there.
    const stored = writer.storedLsn
    writer.storedLsn = 0
    const again = tx(changes.slice(0, 1))
    writer.enqueue(first)
    writer.enqueue(again)
    await storedAt(again.endLsn)
    expect(writer.inserted - inserted).toBe(2)
    expect(copies).toHaveBeenCalledTimes(1)
    expect(statements.mock.calls.map(([batch]) => batch.map((t) => t.lsn))).toEqual([[first.lsn], [again.lsn]])
    expect(writer.storedLsn).toBeGreaterThan(stored)
    expect((await logged(first)).length).toBe(150)
    const state = await db.query("select stored_lsn::float8 as s from feed_state where id = 1")
    expect(state.rows[0].s).toBe(again.endLsn)
    expect(failures).toEqual([])
  })
})

describe("a large transaction (real Postgres)", () => {
  it("[W1] is grouped a slice per turn of the event loop, with other work in between, and stored whole and in order", async () => {
    // Two workspaces interleaved in runs, as a projection of two imports would write them.
    const changes = Array.from({ length: 3 * GROUP_SLICE + 17 }, (_, i) => ({
      ...insertOf("tasks", Math.floor(i / 700) % 2 === 0 ? "wa" : "wb", `big${i}`),
      value: JSON.stringify({ id: `big${i}`, title: `task ${i}` }),
    }))
    const big = tx(changes)
    const after = tx([insertOf("projects", "wa", "after-big")])
    const added = vi.spyOn(GroupBuilder.prototype, "add")
    try {
      const inserted = writer.inserted
      writer.enqueue(big)
      // Another piece of work queued right after the transaction arrived runs before it is all grouped.
      const groupedBeforeOtherWork = await new Promise<number>((resolve) =>
        setImmediate(() => resolve(added.mock.calls.reduce((n, [k]) => n + k, 0))),
      )
      expect(groupedBeforeOtherWork).toBeGreaterThan(0)
      expect(groupedBeforeOtherWork).toBeLessThan(big.changes.length)
      writer.enqueue(after)
      await storedAt(after.endLsn)
      expect(Math.max(...added.mock.calls.map(([k]) => k))).toBeLessThanOrEqual(GROUP_SLICE)
      expect(writer.inserted - inserted).toBe(big.changes.length + 1)
      expect(await logged(big)).toEqual(expected(big))
      expect(await logged(after)).toEqual(expected(after))
      expect(failures).toEqual([])
    } finally {
      added.mockRestore()
    }
  })
})

describe("the snapshot window's lookup (real Postgres)", () => {
  it("[W3] a transaction the snapshot saw in flight is found by its xid: every change of it in the shape's table and workspace, nothing else", async () => {
    const change = insertOf
    // Only the first change of a transaction is indexed by xid; here it is another table's.
    const inFlight = tx([
      change("projects", "ws1", "p"),
      change("tasks", "ws1", "a"),
      change("tasks", "ws2", "x"),
      change("tasks", "ws1", "b"),
    ])
    const seen = tx([change("tasks", "ws1", "c")])
    const otherInFlight = tx([change("tasks", "ws2", "y")])
    for (const t of [inFlight, seen, otherInFlight]) writer.enqueue(t)
    await storedAt(otherInFlight.endLsn)
    const l0 = otherInFlight.endLsn + 1
    const pool = new pg.Pool({ connectionString: server.url })
    try {
      const found = await unseenChanges(
        pool,
        { shape: { table: "tasks" }, ws: "ws1" } as unknown as SnapshotQuery,
        l0,
        l0 + 1,
        { xmin: 1, xmax: 2 ** 31, xip: [inFlight.xid, otherInFlight.xid] },
      )
      const rows = found.map((c) => [c.lsn, c.pos, c.rowId]).sort((a, b) => Number(a[1]) - Number(b[1]))
      expect(rows).toEqual([
        [inFlight.lsn, 2, "a"],
        [inFlight.lsn, 4, "b"],
      ])
    } finally {
      await pool.end()
    }
  })
})
