import type { SqlClient } from "@effect/sql"
import {
  type MemberId,
  newId,
  type ProjectId,
  projectsTable,
  type SqlValue,
  type Task,
  type TaskId,
  TaskPriority,
  TaskStatus,
  tasksTable,
} from "@vibestack/schema"
import { Effect, type Layer, Redacted } from "effect"
import fc from "fast-check"
import type pg from "pg"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { pgLayer } from "../db/Database.js"
import { type ProjectedChanges, upsertChunks } from "../pool/ops/projectEntities.js"
import { api } from "../test/http.js"
import { startTestServer, type TestServer } from "../test/server.js"
import { makeProjectionStore } from "./ProjectionStore.js"
import { docKey } from "./Scheduler.js"
import { connect } from "./test/projectionKit.js"

// `apply` writes a batch in one statement when every table's rows fit one, else in a
// transaction of several: both must fence on `projected_seq` and write all or nothing.
let server: TestServer
let db: pg.Client
let layer: Layer.Layer<SqlClient.SqlClient, unknown>

beforeAll(async () => {
  process.env.VIBESTACK_PROJECTION_ENABLED = "false"
  server = await startTestServer()
  db = await connect(server.pg.url)
  layer = pgLayer(Redacted.make(server.pg.url), 2)
})
afterAll(async () => {
  await db?.end()
  await server?.stop()
})

const run = <A, E>(
  f: (store: Effect.Effect.Success<typeof makeProjectionStore>) => Effect.Effect<A, E, SqlClient.SqlClient>,
) => Effect.runPromise(Effect.flatMap(makeProjectionStore, f).pipe(Effect.provide(layer)) as Effect.Effect<A, E>)

const project = (ws: string, id: string, name: string) =>
  projectsTable.toRow(ws, {
    id: id as ProjectId,
    name,
    color: "#4f7cff",
    archived: false,
    createdAt: 1_700_000_000_000,
  })

const changes = (
  upserts: ReadonlyArray<ReadonlyArray<SqlValue>>,
  deletes: ReadonlyArray<string> = [],
  issues: ProjectedChanges["issues"] = [],
): ProjectedChanges => ({
  fromSeq: 0,
  tables: [{ table: "projects", upserts: upsertChunks(upserts), upsertCount: upserts.length, deletes }],
  issues,
  entityChanges: upserts.length + deletes.length,
})

const names = async (ws: string) =>
  (await db.query("select id, name from projects where workspace_id = $1 order by id", [ws])).rows.map(
    (r) => `${r.id}:${r.name}`,
  )
const stateOf = async (ws: string) =>
  (
    await db.query(
      "select projected_seq::int as seq, issues, snapshot_seq::int as snap from projection_state where workspace_id = $1",
      [ws],
    )
  ).rows[0]
const quarantined = async (ws: string) =>
  (await db.query("select seq::int, reason from projection_quarantine where workspace_id = $1 order by seq", [ws])).rows

const newWorkspace = async () => (await api(server.url).register("Acme", newId())).workspaceId

describe("ProjectionStore.apply", () => {
  it("[I5] a small batch lands whole, quarantine and issues included, and only from the state it was made at", async () => {
    const ws = await newWorkspace()
    await run((s) => s.state(ws, "main"))
    const issue = { collection: "tasks" as const, id: "t9", message: "unreadable" }
    const first = changes([project(ws, "p1", "One"), project(ws, "p2", "Two")], [], [issue])
    expect(await run((s) => s.apply(ws, "main", 0, 3, first, [{ seq: 2, reason: "bad bytes" }], Effect.void, 1))).toBe(
      true,
    )
    expect(await names(ws)).toEqual(["p1:One", "p2:Two"])
    expect(await stateOf(ws)).toEqual({ seq: 3, issues: 1, snap: 1 })
    expect((await quarantined(ws)).map((q) => q.seq)).toEqual([2, 3])

    // Made at 0, but the projection is at 3 now (a node that lost its lease): nothing changes.
    const stale = changes([project(ws, "p1", "Stale"), project(ws, "p3", "Three")], ["p2"])
    expect(await run((s) => s.apply(ws, "main", 0, 5, stale, [{ seq: 4, reason: "x" }]))).toBe(false)
    expect(await names(ws)).toEqual(["p1:One", "p2:Two"])
    expect(await stateOf(ws)).toEqual({ seq: 3, issues: 1, snap: 1 })
    expect(await quarantined(ws)).toHaveLength(2)

    const next = changes([project(ws, "p1", "Renamed")], ["p2"])
    expect(await run((s) => s.apply(ws, "main", 3, 4, next, []))).toBe(true)
    expect(await names(ws)).toEqual(["p1:Renamed"])
    expect(await stateOf(ws)).toEqual({ seq: 4, issues: 1, snap: 1 })
  })

  it("[I5] a batch too large for one statement is one transaction, fenced the same way", async () => {
    const ws = await newWorkspace()
    await run((s) => s.state(ws, "main"))
    const many = Array.from({ length: 5_001 }, (_, i) => project(ws, `p${String(i).padStart(5, "0")}`, `n${i}`))
    expect(await run((s) => s.apply(ws, "main", 1, 2, changes(many), []))).toBe(false)
    expect(await names(ws)).toEqual([])
    expect(await run((s) => s.apply(ws, "main", 0, 2, changes(many), []))).toBe(true)
    expect(await names(ws)).toHaveLength(5_001)
    expect(await stateOf(ws)).toEqual({ seq: 2, issues: 0, snap: 0 })
  })

  it("reads the state and the updates after it in one query, as the two reads do", async () => {
    const ws = await newWorkspace()
    expect(await run((s) => s.stateAndUpdates(ws, "main", 10, 1 << 20))).toBeUndefined()
    await run((s) => s.state(ws, "main"))
    for (let seq = 1; seq <= 4; seq++)
      await db.query("insert into doc_updates (workspace_id, doc_id, seq, bytes) values ($1, 'main', $2, $3)", [
        ws,
        seq,
        Buffer.from([seq]),
      ])
    // Not projected yet: a first batch may start from a stored snapshot, so no update is read.
    expect(await run((s) => s.stateAndUpdates(ws, "main", 2, 1 << 20))).toEqual({
      state: { projectedSeq: 0, snapshotSeq: 0 },
      updates: [],
    })
    await db.query("update projection_state set projected_seq = 1 where workspace_id = $1", [ws])
    const both = await run((s) => s.stateAndUpdates(ws, "main", 2, 1 << 20))
    const apart = await run((s) =>
      Effect.all([s.state(ws, "main"), s.updatesAfter(ws, "main", 1, 2, 1 << 20)]).pipe(
        Effect.map(([state, updates]) => ({ state, updates })),
      ),
    )
    expect(both).toEqual(apart)
    expect(both?.updates.map((u) => u.seq)).toEqual([2, 3])
    await db.query("update projection_state set projected_seq = 4 where workspace_id = $1", [ws])
    expect((await run((s) => s.stateAndUpdates(ws, "main", 2, 1 << 20)))?.updates).toEqual([])
  })

  it("[I5] reads many documents' states and updates in one query, each as `stateAndUpdates` reads it alone", async () => {
    const [a, b, none] = [await newWorkspace(), await newWorkspace(), await newWorkspace()]
    for (const ws of [a, b]) {
      await run((s) => s.state(ws, "main"))
      for (let seq = 1; seq <= 3; seq++)
        await db.query("insert into doc_updates (workspace_id, doc_id, seq, bytes) values ($1, 'main', $2, $3)", [
          ws,
          seq,
          Buffer.from([seq]),
        ])
    }
    await db.query("update projection_state set projected_seq = 1 where workspace_id = $1", [a])
    const many = await run((s) =>
      s.stateAndUpdatesMany(
        [a, b, none].map((ws) => ({ ws, doc: "main" })),
        10,
        1 << 20,
      ),
    )
    expect([...many.keys()].sort()).toEqual([docKey(a, "main"), docKey(b, "main")].sort())
    for (const ws of [a, b])
      expect(many.get(docKey(ws, "main"))).toEqual(await run((s) => s.stateAndUpdates(ws, "main", 10, 1 << 20)))
    expect(many.get(docKey(a, "main"))?.updates.map((u) => u.seq)).toEqual([2, 3])
  })
})

describe("ProjectionStore.applyMany", () => {
  it("[I5] applies many documents' batches in one statement, each fenced on its own", async () => {
    const [a, b, c] = [await newWorkspace(), await newWorkspace(), await newWorkspace()]
    for (const ws of [a, b, c]) await run((s) => s.state(ws, "main"))
    await run((s) => s.apply(c, "main", 0, 2, changes([project(c, "p1", "C one"), project(c, "p2", "C two")]), []))
    const issue = { collection: "tasks" as const, id: "t9", message: "unreadable" }
    const moved = await run((s) =>
      s.applyMany([
        {
          ws: a,
          doc: "main",
          fromSeq: 0,
          toSeq: 3,
          changes: changes([project(a, "p1", "A")], [], [issue]),
          skipped: [],
        },
        // Made at 0, but b's projection is at 0 too: it moves; c's is at 2, so c's batch is stale.
        { ws: b, doc: "main", fromSeq: 0, toSeq: 1, changes: changes([project(b, "p1", "B")]), skipped: [] },
        {
          ws: c,
          doc: "main",
          fromSeq: 0,
          toSeq: 5,
          changes: changes([project(c, "p3", "stale")], ["p1"], [issue]),
          skipped: [{ seq: 4, reason: "x" }],
        },
      ]),
    )
    expect([...moved].sort()).toEqual([docKey(a, "main"), docKey(b, "main")].sort())
    expect(await names(a)).toEqual(["p1:A"])
    expect(await stateOf(a)).toEqual({ seq: 3, issues: 1, snap: 0 })
    expect((await quarantined(a)).map((q) => q.seq)).toEqual([3])
    expect(await names(b)).toEqual(["p1:B"])
    expect(await stateOf(b)).toEqual({ seq: 1, issues: 0, snap: 0 })
    // The stale document changed nothing: rows, deletes, quarantine and state as they were.
    expect(await names(c)).toEqual(["p1:C one", "p2:C two"])
    expect(await stateOf(c)).toEqual({ seq: 2, issues: 0, snap: 0 })
    expect(await quarantined(c)).toEqual([])

    // Deletes of a moved document land; two documents of one workspace are refused outright.
    const next = await run((s) =>
      s.applyMany([{ ws: c, doc: "main", fromSeq: 2, toSeq: 3, changes: changes([], ["p1"]), skipped: [] }]),
    )
    expect([...next]).toEqual([docKey(c, "main")])
    expect(await names(c)).toEqual(["p2:C two"])
    const twice = { ws: a, doc: "main", fromSeq: 3, toSeq: 4, changes: changes([]), skipped: [] }
    await expect(run((s) => s.applyMany([twice, { ...twice, doc: "other" }]))).rejects.toThrow(
      /one document per workspace/,
    )
    expect(await stateOf(a)).toEqual({ seq: 3, issues: 1, snap: 0 })
  })
})

describe("ProjectionStore: rows as the pool sends them (JSON text)", () => {
  // Text as hostile as JSON and SQL meet: quotes, escapes, separators, non-BMP characters.
  const text = (min: number) =>
    fc.string({
      unit: fc.constantFrom('"', "\\", "'", "\n", "\t", "\u001f", "\u2028", "é", "😀", "a", " ", "{", "]", ","),
      minLength: min,
      maxLength: 12,
    })
  const task = (i: number): fc.Arbitrary<Task> =>
    fc.record({
      id: fc.constant(`t${i}` as TaskId),
      projectId: fc.constant("p1" as ProjectId),
      title: text(0).map((t) => `x${t.replace(/[\n\r]/g, "")}`),
      description: text(0),
      status: fc.constantFrom(...TaskStatus.literals),
      priority: fc.constantFrom(...TaskPriority.literals),
      assigneeId: fc.option(fc.constant("m1" as MemberId), { nil: undefined }),
      dueDate: fc.option(
        fc
          .date({ min: new Date("1970-01-01"), max: new Date("2999-12-31"), noInvalidDate: true })
          .map((d) => d.toISOString().slice(0, 10)),
        { nil: undefined },
      ),
      sortKey: text(1),
      createdAt: fc.integer({ min: 0, max: 32_503_680_000_000 }),
      updatedAt: fc.integer({ min: 0, max: 32_503_680_000_000 }),
    })
  const rowsOf = async (ws: string) =>
    (
      await db.query(
        `select workspace_id, id, project_id, title, description, status, priority, assignee_id,
           to_char(due_date, 'YYYY-MM-DD') as due_date, sort_key,
           to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as created_at,
           to_char(updated_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as updated_at
         from tasks where workspace_id = $1 order by id`,
        [ws],
      )
    ).rows.map((r) => Object.values(r))
  const taskChanges = (rows: ReadonlyArray<ReadonlyArray<SqlValue>>): ProjectedChanges => ({
    fromSeq: 0,
    tables: [{ table: "tasks", upserts: upsertChunks(rows), upsertCount: rows.length, deletes: [] }],
    issues: [],
    entityChanges: rows.length,
  })

  it("[I4] every column type and any text land as the schema's rows say, by one statement, by a transaction and in a group", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.tuple(task(0), task(1), task(2)),
        fc.constantFrom("one statement", "transaction", "group"),
        async (tasks, way) => {
          const ws = await newWorkspace()
          await run((s) => s.state(ws, "main"))
          const rows = tasks.map((t) => tasksTable.toRow(ws, t))
          const batch = taskChanges(rows)
          // A batch of several chunks takes the transaction's path, one statement per chunk.
          const chunked: ProjectedChanges =
            way === "transaction"
              ? { ...batch, tables: [{ ...batch.tables[0]!, upserts: rows.map((r) => JSON.stringify([r])) }] }
              : batch
          if (way === "group")
            expect([
              ...(await run((s) =>
                s.applyMany([{ ws, doc: "main", fromSeq: 0, toSeq: 1, changes: batch, skipped: [] }]),
              )),
            ]).toEqual([docKey(ws, "main")])
          else expect(await run((s) => s.apply(ws, "main", 0, 1, chunked, []))).toBe(true)
          expect(await rowsOf(ws)).toEqual(rows)
        },
      ),
      { numRuns: 20 },
    )
  })

  it("[I4] text Postgres cannot hold (U+0000, which a hostile editor can write) never stops a batch: it lands as U+FFFD", async () => {
    const ws = await newWorkspace()
    await run((s) => s.state(ws, "main"))
    const row = projectsTable.toRow(ws, {
      id: "p1" as ProjectId,
      name: "a\u0000b",
      color: "#4f7cff",
      archived: false,
      createdAt: 1_700_000_000_000,
    })
    expect(await run((s) => s.apply(ws, "main", 0, 1, changes([row]), []))).toBe(true)
    expect(await names(ws)).toEqual(["p1:a\ufffdb"])
    // In an unreadable entity's id and message, a delete, and a skipped update's reason; alone and in a group.
    const issue = { collection: "projects" as const, id: "x\u0000", message: "bad \u0000 value" }
    const hostile = changes([row], ["gone\u0000"], [issue])
    expect(await run((s) => s.apply(ws, "main", 1, 2, hostile, [{ seq: 2, reason: "no\u0000" }]))).toBe(true)
    const other = await newWorkspace()
    await run((s) => s.state(other, "main"))
    const group = {
      ws: other,
      doc: "main",
      fromSeq: 0,
      toSeq: 3,
      changes: hostile,
      skipped: [{ seq: 1, reason: "\u0000" }],
    }
    expect([...(await run((s) => s.applyMany([group])))]).toEqual([docKey(other, "main")])
    expect((await quarantined(ws)).map((q) => q.reason).join(" ")).not.toContain("\u0000")
    expect(await stateOf(other)).toEqual({ seq: 3, issues: 1, snap: 0 })
  })
})
