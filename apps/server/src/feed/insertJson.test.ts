import fc from "fast-check"
import { type Pgoutput, PgoutputPlugin } from "pg-logical-replication"
import { describe, expect, it } from "vitest"
import { FeedPlugin } from "./insertJson.js"

const OPTIONS: Pgoutput.Options = { protoVersion: 1, publicationNames: ["vibestack_feed"] }

const int16 = (n: number) => [(n >>> 8) & 255, n & 255]
const int32 = (n: number) => [(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255]
const cstring = (s: string) => [...Buffer.from(s), 0]

/** A pgoutput Relation message (protocol 1), every column of type text. */
const relationMessage = (oid: number, table: string, columns: ReadonlyArray<string>): Buffer =>
  Buffer.from([
    0x52,
    ...int32(oid),
    ...cstring("public"),
    ...cstring(table),
    0x66,
    ...int16(columns.length),
    ...columns.flatMap((c) => [c === "workspace_id" || c === "id" ? 1 : 0, ...cstring(c), ...int32(25), ...int32(-1)]),
  ])

type Value = Uint8Array | null
/** A pgoutput Insert message: `t` columns with their bytes, `n` for null. */
const insertMessage = (oid: number, values: ReadonlyArray<Value>): Buffer =>
  Buffer.from([
    0x49,
    ...int32(oid),
    0x4e,
    ...int16(values.length),
    ...values.flatMap((v) => (v === null ? [0x6e] : [0x74, ...int32(v.length), ...v])),
  ])

/** What the consumer stored before: the library's row object (text kept as text), stringified. */
const viaLibrary = (relation: Buffer, insert: Buffer) => {
  const plugin = new PgoutputPlugin(OPTIONS)
  const rel = plugin.parse(relation) as Pgoutput.MessageRelation
  for (const c of rel.columns) c.parser = (raw: unknown) => raw
  const msg = plugin.parse(insert) as Pgoutput.MessageInsert
  return { json: JSON.stringify(msg.new), ws: String(msg.new.workspace_id), id: String(msg.new.id) }
}

const viaFeedPlugin = (relation: Buffer, insert: Buffer) => {
  const plugin = new FeedPlugin(OPTIONS)
  plugin.parse(relation)
  const msg = plugin.parse(insert)
  if (msg.tag !== "insert-json") throw new Error(`decoded by the library: ${msg.tag}`)
  return { json: msg.json, ws: msg.ws, id: msg.id }
}

const utf8 = (s: string) => new Uint8Array(Buffer.from(s))
/** Text Postgres could send: ASCII, quotes, backslashes, control characters, any Unicode. */
const text = fc.oneof(
  fc.string().map(utf8),
  fc.string({ unit: fc.constantFrom('"', "\\", "\n", "\t", "\u0000", "\u007f", "\u2028", "é", "😀", "a") }).map(utf8),
  fc.string({ unit: "grapheme" }).map(utf8),
)
/**
 * Column names. Integer-like ones are left out: a JS object lists them first, so the library's
 * row stringified in another order than the columns'; no projection table has one.
 */
const columnName = fc
  .oneof(fc.constantFrom("title", "due_date", 'we"ird', "naïve"), fc.string({ minLength: 1 }))
  .filter((c) => !/^(0|[1-9][0-9]*)$/.test(c))

describe("FeedPlugin decodes inserts as the library and JSON.stringify would", () => {
  it("gives the same JSON, workspace and id for any text and null values", () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(columnName, { maxLength: 6 }).filter((cs) => !cs.some((c) => c.includes("\u0000"))),
        fc.array(fc.option(text, { nil: null }), { minLength: 8, maxLength: 8 }),
        text,
        text,
        (extra, values, ws, id) => {
          const names = ["workspace_id", "id", ...extra.filter((c) => c !== "workspace_id" && c !== "id")]
          const row: Array<Value> = [ws, id, ...values.slice(0, names.length - 2)]
          const relation = relationMessage(16385, "tasks", names)
          const insert = insertMessage(16385, row)
          expect(viaFeedPlugin(relation, insert)).toEqual(viaLibrary(relation, insert))
        },
      ),
      { numRuns: 500 },
    )
  })

  it("replaces invalid UTF-8 as the library's TextDecoder does", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 12 }), (bytes) => {
        const relation = relationMessage(7, "tasks", ["workspace_id", "id", "title"])
        const insert = insertMessage(7, [utf8("w"), utf8("t"), bytes])
        expect(viaFeedPlugin(relation, insert)).toEqual(viaLibrary(relation, insert))
      }),
      { numRuns: 500 },
    )
  })

  it("decodes values larger than its reused buffer", () => {
    const relation = relationMessage(8, "tasks", ["workspace_id", "id", "title", "description"])
    const insert = insertMessage(8, [utf8("w"), utf8("t"), utf8("a".repeat(100_000)), utf8('é"'.repeat(70_000))])
    expect(viaFeedPlugin(relation, insert)).toEqual(viaLibrary(relation, insert))
  })

  it("leaves malformed or unknown inserts to the library", () => {
    const plugin = new FeedPlugin(OPTIONS)
    // No relation seen yet: the library's own error.
    expect(() => plugin.parse(insertMessage(9, [utf8("w"), utf8("t")]))).toThrow(/missing relation/)
    plugin.parse(relationMessage(9, "tasks", ["workspace_id", "id"]))
    // A column count the relation does not have, and a value running past the message.
    expect(() => plugin.parse(insertMessage(9, [utf8("w")]))).not.toThrow()
    expect(plugin.parse(insertMessage(9, [utf8("w")])).tag).toBe("insert")
    const truncated = insertMessage(9, [utf8("w"), utf8("task")]).subarray(0, 16)
    expect(() => plugin.parse(truncated)).toThrow(/unexpected end of message/)
    // Other messages pass through.
    expect(
      plugin.parse(Buffer.from([0x42, ...int32(0), ...int32(1), ...int32(0), ...int32(0), ...int32(42)])).tag,
    ).toBe("begin")
  })
})
