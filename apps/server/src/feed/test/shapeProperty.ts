import { Shape, ShapeStream } from "@electric-sql/client"
import fc from "fast-check"
import type pg from "pg"
import { rowArb, type TaskRow, type WhereCase, whereArbFor } from "../where/test/whereArbitrary.js"
import { type FeedServer, registerWorkspace, shapeRows } from "./feedServer.js"

/**
 * The model-free property behind W10: for random rows, random edits and random wheres
 * from the grammar, the rows the unmodified Electric client materializes equal what
 * Postgres selects with the client's own where text, after the initial sync and after
 * every step. Shared by the quick test (few runs) and the fault tier (many).
 */
const whereArb = whereArbFor({
  text: ["title", "status", "assignee_id", "id", "priority"],
  date: "due_date",
  ts: "created_at",
})
const COLUMN_SETS: ReadonlyArray<ReadonlyArray<string> | undefined> = [
  undefined,
  ["workspace_id", "id", "title", "status"],
  ["workspace_id", "id", "due_date", "created_at", "assignee_id"],
]

type Edit =
  | { readonly k: "insert"; readonly row: TaskRow }
  | {
      readonly k: "update"
      readonly pick: number
      readonly row: TaskRow
      readonly fields: ReadonlyArray<keyof TaskRow>
    }
  | { readonly k: "delete"; readonly pick: number }

const FIELDS: ReadonlyArray<keyof TaskRow> = ["title", "status", "assignee_id", "due_date", "created_at"]
const editArb = (n: number): fc.Arbitrary<Edit> =>
  fc.oneof(
    rowArb(`n${n}`).map((row) => ({ k: "insert" as const, row })),
    fc
      .tuple(fc.nat(), rowArb("unused"), fc.subarray([...FIELDS], { minLength: 1 }))
      .map(([pick, row, fields]) => ({ k: "update" as const, pick, row, fields })),
    fc.nat().map((pick) => ({ k: "delete" as const, pick })),
  )

export const scenarioArb = fc.record({
  initial: fc
    .array(fc.nat({ max: 50 }), { maxLength: 12 })
    .chain((ids) => fc.tuple(...[...new Set(ids)].map((i) => rowArb(`r${i}`)))),
  where: whereArb,
  columns: fc.constantFrom(...COLUMN_SETS),
  steps: fc
    .array(fc.array(fc.nat(), { minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 5 })
    .chain((steps) => fc.tuple(...steps.map((s, i) => fc.tuple(...s.map((_, j) => editArb(i * 10 + j)))))),
})
export type Scenario =
  fc.Arbitrary<typeof scenarioArb extends fc.Arbitrary<infer A> ? A : never> extends fc.Arbitrary<infer B> ? B : never

const insertRow = (db: pg.Client, ws: string, r: TaskRow) =>
  db.query(
    `insert into tasks (workspace_id, id, project_id, title, description, status, priority, assignee_id, due_date, sort_key, created_at, updated_at)
     values ($1, $2, 'p1', $3, '', $4, 'none', $5, $6, 'a', $7, now())`,
    [ws, r.id, r.title, r.status, r.assignee_id, r.due_date, r.created_at],
  )

const sameRows = (a: Map<string, unknown>, b: Map<string, unknown>) => {
  const norm = (m: Map<string, unknown>) => JSON.stringify([...m].sort((x, y) => (x[0] < y[0] ? -1 : 1)))
  return norm(a) === norm(b)
}

export const runScenario = async (
  srv: FeedServer,
  db: pg.Client,
  s: {
    initial: ReadonlyArray<TaskRow>
    where: WhereCase
    columns: ReadonlyArray<string> | undefined
    steps: ReadonlyArray<ReadonlyArray<Edit>>
  },
) => {
  const { workspaceId: ws, masterToken } = await registerWorkspace(srv.url, "Property")
  for (const r of s.initial) await insertRow(db, ws, r)
  const def = { where: s.where.where, params: s.where.params, ...(s.columns ? { columns: s.columns } : {}) }
  const abort = new AbortController()
  const stream = new ShapeStream({
    url: `${srv.url}/api/v1/shape`,
    params: {
      table: "tasks",
      where: def.where,
      ...(def.params.length ? { params: [...def.params] } : {}),
      ...(s.columns ? { columns: [...s.columns] } : {}),
    } as never,
    headers: { Authorization: `Bearer ${masterToken}` },
    signal: abort.signal,
    onError: (e) => {
      failure = e
    },
  })
  let failure: unknown
  const shape = new Shape(stream as never)
  const client = () => new Map(shape.currentRows.map((r) => [String(r.id), r as unknown]))
  const converge = async (when: string) => {
    const deadline = Date.now() + 20_000
    for (;;) {
      if (failure) throw new Error(`${when}: the client failed: ${String(failure)}`)
      const want = await shapeRows(db, "tasks", ws, def)
      if (shape.isUpToDate && sameRows(client(), want)) return
      if (Date.now() > deadline)
        throw new Error(
          `${when}: the client holds ${JSON.stringify([...client()])}\nPostgres selects ${JSON.stringify([...want])}`,
        )
      await new Promise((r) => setTimeout(r, 25))
    }
  }
  try {
    await converge("after the initial sync")
    const ids = s.initial.map((r) => r.id)
    for (const [i, step] of s.steps.entries()) {
      await db.query("begin")
      for (const e of step) {
        if (e.k === "insert") {
          if (ids.includes(e.row.id)) continue
          await insertRow(db, ws, e.row)
          ids.push(e.row.id)
        } else if (ids.length > 0) {
          const id = ids[e.pick % ids.length]!
          if (e.k === "delete") {
            await db.query("delete from tasks where workspace_id = $1 and id = $2", [ws, id])
            ids.splice(ids.indexOf(id), 1)
          } else {
            const sets = e.fields.map((f, j) => `${f} = $${j + 3}`).join(", ")
            await db.query(`update tasks set ${sets} where workspace_id = $1 and id = $2`, [
              ws,
              id,
              ...e.fields.map((f) => e.row[f]),
            ])
          }
        }
      }
      await db.query("commit")
      await converge(`after step ${i + 1}`)
    }
  } finally {
    abort.abort()
    await db.query("rollback").catch(() => {})
  }
}
