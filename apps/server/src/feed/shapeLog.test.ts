import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import type { LogChange } from "./ChangeTail.js"
import { compileShape } from "./compileShape.js"
import type { Column } from "./messages.js"
import { shapeMessages } from "./shapeLog.js"

const COLUMNS: ReadonlyArray<Column> = ["workspace_id", "id", "title", "status"].map((name) => ({
  name,
  type: "text",
  notNull: true,
}))
const shape = (where?: string, columns?: Array<string>) =>
  Effect.runSync(
    compileShape({ table: "tasks", where, params: new Map(), columns }, COLUMNS, (consts) =>
      Effect.succeed(consts.map((c) => c.raw)),
    ),
  )
const row = (id: string, title: string, status: string) => JSON.stringify({ workspace_id: "w", id, title, status })
let pos = 0
const c = (op: string, value: string, old: Record<string, string> | null): LogChange => ({
  lsn: 1,
  pos: ++pos,
  rowId: (JSON.parse(value) as { id: string }).id,
  op,
  value,
  old: old && JSON.stringify(old),
})
const ops = (messages: Array<string>) =>
  messages.map((m) => {
    const x = JSON.parse(m) as { headers: { operation: string }; value: Record<string, string> }
    return `${x.headers.operation} ${JSON.stringify(x.value)}`
  })

describe("one shape's view of logged changes", () => {
  it("[W10] a where turns moves into inserts and deletes and hides what stays outside", () => {
    const log = [
      c("i", row("a", "A", "todo"), null),
      c("i", row("b", "B", "done"), null),
      c("u", row("a", "A2", "todo"), { title: "A" }),
      c("u", row("a", "A2", "done"), { status: "todo" }),
      c("u", row("b", "B", "todo"), { status: "done" }),
      c("u", row("b", "B2", "done"), { title: "B", status: "todo" }),
      c("u", row("b", "B3", "done"), { title: "B2" }),
      c("d", JSON.stringify({ workspace_id: "w", id: "b" }), {
        workspace_id: "w",
        id: "b",
        title: "B3",
        status: "done",
      }),
    ]
    expect(ops(shapeMessages(shape("status = 'todo'"), "w", log).messages)).toEqual([
      `insert ${row("a", "A", "todo")}`,
      'update {"workspace_id":"w","id":"a","title":"A2"}',
      'delete {"workspace_id":"w","id":"a"}',
      `insert ${row("b", "B", "todo")}`,
      'delete {"workspace_id":"w","id":"b"}',
    ])
  })

  it("[W10] columns: values narrowed, updates of unselected columns dropped; unknown old rows served conservatively", () => {
    const s = shape(undefined, ["workspace_id", "id", "title"])
    const log = [
      c("i", row("a", "A", "todo"), null),
      c("u", row("a", "A", "done"), { status: "todo" }),
      c("u", row("a", "A2", "done"), { title: "A" }),
      c("u", row("a", "A3", "done"), null),
    ]
    expect(ops(shapeMessages(s, "w", log).messages)).toEqual([
      'insert {"workspace_id":"w","id":"a","title":"A"}',
      'update {"workspace_id":"w","id":"a","title":"A2"}',
      'update {"workspace_id":"w","id":"a","title":"A3"}',
    ])
    // Logged before old rows were kept: an update leaving the where is a (harmless) delete.
    const legacy = [c("u", row("z", "Z", "done"), null), c("d", JSON.stringify({ workspace_id: "w", id: "y" }), null)]
    expect(ops(shapeMessages(shape("status = 'todo'"), "w", legacy).messages)).toEqual([
      'delete {"workspace_id":"w","id":"z"}',
      'delete {"workspace_id":"w","id":"y"}',
    ])
  })

  it("[W4] stops after the change that passes the byte budget and says how many it read", () => {
    const log = Array.from({ length: 10 }, (_, i) => c("i", row(`r${i}`, "x".repeat(100), "todo"), null))
    const { messages, consumed } = shapeMessages(shape(), "w", log, 300)
    expect(consumed).toBe(messages.length)
    expect(consumed).toBeLessThan(10)
  })
})
