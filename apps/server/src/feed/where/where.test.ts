import { Either } from "effect"
import { describe, expect, it } from "vitest"
import { type BoundWhere, bindWhere } from "./bindWhere.js"
import { likeMatcher } from "./likeMatcher.js"
import { parseWhere } from "./parseWhere.js"
import { compareText, formatTs, parseDate, parseTs } from "./pgValues.js"
import { WhereError } from "./WhereError.js"
import { type Row, wherePredicate } from "./wherePredicate.js"
import { whereSql } from "./whereSql.js"

const COLUMNS = new Map([
  ["workspace_id", "text"],
  ["id", "text"],
  ["title", "text"],
  ["status", "text"],
  ["assignee_id", "text"],
  ["archived", "bool"],
  ["due_date", "date"],
  ["created_at", "timestamptz"],
  ["blob", "bytea"],
])

const bind = (where: string, params: Record<number, string> = {}): BoundWhere =>
  bindWhere(parseWhere(where), COLUMNS, new Map(Object.entries(params).map(([k, v]) => [Number(k), v])))

const refusal = (where: string, params: Record<number, string> = {}): string => {
  try {
    bind(where, params)
  } catch (e) {
    if (e instanceof WhereError) return e.message
    throw e
  }
  throw new Error(`accepted: ${where}`)
}

/** Binds and evaluates with constants taken as already canonical (what Postgres returns for them). */
const holds = (where: string, row: Row, params: Record<number, string> = {}) => {
  const b = bind(where, params)
  return wherePredicate(
    b.expr,
    b.consts.map((c) => c.raw),
  )(row)
}

const row: Row = {
  workspace_id: "w",
  id: "t1",
  title: "Buy milk",
  status: "todo",
  assignee_id: null,
  archived: "f",
  due_date: "2024-03-01",
  created_at: "2024-03-01 10:00:00.5+00",
}

describe("where grammar", () => {
  it("[W9] refuses injection attempts, functions, subqueries and anything outside the grammar, saying what", () => {
    const cases: Array<[string, RegExp]> = [
      ["id = 'x'; drop table tasks", /unexpected ';'/],
      ["id = 'x' -- and more", /comments are not allowed/],
      ["id = 'x' /* c */", /comments are not allowed/],
      ["id = 'x' or 1=1) --", /unexpected '\)'|comments/],
      ["id = $$x$$", /positional parameter/],
      ["id = E'\\x27'", /plain '…' string literals/],
      ["id = 'x' || 'y'", /unexpected '\|'/],
      ["id in (select id from tokens)", /subqueries are not supported/],
      ["exists (select 1)", /subqueries are not supported/],
      ["(select true)", /subqueries are not supported/],
      ["lower(title) = 'x'", /functions are not supported in where: lower\(\)/],
      ["pg_sleep(10) is null", /functions are not supported/],
      ["now() > created_at", /functions are not supported/],
      ["created_at > current_timestamp", /CURRENT_TIMESTAMP/],
      ["nosuch = 'x'", /unknown column in where: nosuch/],
      ["\"Title\" = 'x'", /unknown column in where: Title/],
      ["tasks.title = 'x'", /unexpected '\.'/],
      ["blob is null", /bytea, which where cannot compare/],
      ["title = 1", /cannot compare text with int/],
      ["due_date like '2024%'", /LIKE needs text/],
      ["title like title", /pattern must be a string literal or a parameter/],
      ["title like 'abc\\'", /must not end with the escape character/],
      ["title", /must be bool, not text/],
      ["title = 'a' and status", /must be bool, not text/],
      ["id < 'b' < 'c'", /comparisons do not chain/],
      ["id = $1", /parameter \$1 has no value/],
      ["id = 1.5", /only integer numbers/],
      ["id::bytea = 'x'", /casts to bytea are not supported/],
      ["title::date = '2024-01-01'", /cannot cast text to date/],
      ["id = 'unterminated", /unterminated string/],
      ["id = ", /ends too early/],
      ["", /where is empty/],
      ["(".repeat(60) + "true" + ")".repeat(60), /nested deeper/],
      [`id = '${"x".repeat(5000)}'`, /longer than 4096/],
      ["id = 'a' and", /ends too early/],
      ["title similar to 'a'", /SIMILAR TO is not supported/],
      ["id = any('{a}')", /ANY\/ALL\/SOME is not supported/],
    ]
    for (const [where, message] of cases) expect(refusal(where), where).toMatch(message)
  })

  it("[W9] compiles to parameterised SQL: constants are placeholders, names are quoted catalog names", () => {
    const b = bind(`title ilike $1 and status in ('todo', 'done') and due_date >= '2024-01-01' or archived`, {
      1: "%'; drop table x; --%",
    })
    expect(whereSql(b.expr, 2)).toBe(
      `((((("title") collate "C" ilike $2::text) and ("status" in ($3::text, $4::text))) and ("due_date" >= $5::date)) or "archived")`,
    )
    expect(b.consts.map((c) => c.raw)).toEqual(["%'; drop table x; --%", "todo", "done", "2024-01-01"])
    expect([...b.columns].sort()).toEqual(["archived", "due_date", "status", "title"])
    expect(whereSql(bind("title < 'b'").expr, 2)).toBe(`("title" collate "C" < $2::text)`)
  })

  it("[W9] three-valued logic: a row is in the shape only when the condition is true", () => {
    expect(holds("assignee_id = 'x'", row)).toBe(false)
    expect(holds("not (assignee_id = 'x')", row)).toBe(false)
    expect(holds("assignee_id is null", row)).toBe(true)
    expect(holds("assignee_id is distinct from 'x'", row)).toBe(true)
    expect(holds("assignee_id is not distinct from null", row)).toBe(true)
    expect(holds("title in ('a', null)", row)).toBe(false)
    expect(holds("not (title in ('a', null))", row)).toBe(false)
    expect(holds("title not in ('a')", row)).toBe(true)
    expect(holds("title in ('Buy milk', null)", row)).toBe(true)
    expect(holds("assignee_id = 'x' or true", row)).toBe(true)
    expect(holds("assignee_id = 'x' and false", row)).toBe(false)
    expect(holds("(assignee_id = 'x') is not true", row)).toBe(true)
    expect(holds("not archived", row)).toBe(true)
    expect(holds("archived = false", row)).toBe(true)
    expect(holds("archived is false", { ...row, archived: null })).toBe(false)
  })

  it("[W9] compares text in code point order, dates and timestamps as instants, casts as Postgres prints", () => {
    expect(holds("title > 'Buy'", row)).toBe(true)
    expect(holds("title < 'a'", row)).toBe(true) // 'B' < 'a' in code point order
    expect(holds("title between 'A' and 'C'", row)).toBe(true)
    expect(holds("due_date < '2024-03-02'", row)).toBe(true)
    expect(holds("created_at > '2024-03-01 10:00:00.4+00'", row)).toBe(true)
    expect(holds("created_at::date = '2024-03-01'", row)).toBe(true)
    expect(holds("due_date::timestamptz < created_at", row, {})).toBe(true)
    expect(holds("archived::text = 'false'", row)).toBe(true)
    expect(holds("created_at::text like '2024-03-01 10:00:00.5+00'", row)).toBe(true)
    expect(holds("id = $1 or id = $2", row, { 1: "x", 2: "t1" })).toBe(true)
    expect(holds("$1 = $1", row, { 1: "x" })).toBe(true)
  })

  it("[W9] LIKE and ILIKE: %, _ (one character, astral ones too), \\ escapes, ASCII-only case folding", () => {
    const like = (p: string, v: string, ci = false) => likeMatcher(p, ci)(v)
    expect(like("a%", "abc")).toBe(true)
    expect(like("%c", "abc")).toBe(true)
    expect(like("a_c", "abc")).toBe(true)
    expect(like("a_c", "a😀c")).toBe(true)
    expect(like("a__c", "a😀c")).toBe(false)
    expect(like("%b%b%", "abcb")).toBe(true)
    expect(like("%b%b%", "abc")).toBe(false)
    expect(like("a\\%", "a%")).toBe(true)
    expect(like("a\\%", "ab")).toBe(false)
    expect(like("\\_", "_")).toBe(true)
    expect(like("%", "")).toBe(true)
    expect(like("", "")).toBe(true)
    expect(like("ab%ab", "ab")).toBe(false)
    expect(like("ABC", "abc", true)).toBe(true)
    expect(like("É", "é", true)).toBe(false)
    // A pattern that makes backtracking matchers explode stays linear here.
    const t0 = performance.now()
    expect(like(`${"%a".repeat(30)}%b`, "a".repeat(20_000))).toBe(false)
    expect(performance.now() - t0).toBeLessThan(5000)
  })

  it("[W9] values: text order is UTF-8 byte order, timestamps print back as Postgres prints them", () => {
    expect(compareText("\uFFFD", "😀")).toBeLessThan(0) // U+FFFD < U+1F600, though 0xFFFD > 0xD83D
    expect(compareText("a", "ab")).toBeLessThan(0)
    for (const t of [
      "2024-03-01 10:00:00+00",
      "2024-03-01 10:00:00.5+00",
      "2024-03-01 10:00:00.123456+00",
      "0099-01-01 00:00:00+00 BC",
      "12345-06-07 08:09:10+00",
      "infinity",
      "-infinity",
    ])
      expect(formatTs(parseTs(t))).toBe(t)
    expect(parseTs("2024-03-01 01:00:00+02")).toEqual(parseTs("2024-02-29 23:00:00+00"))
    expect(parseDate("0001-01-01 BC")).toBe(parseDate("0001-01-01") - 366)
  })

  it("[W9] parse errors are WhereError values at the boundary", () => {
    const r = Either.try({ try: () => parseWhere("id = "), catch: (e) => e })
    expect(Either.isLeft(r) && r.left instanceof WhereError).toBe(true)
  })
})
