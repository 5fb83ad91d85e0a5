import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { copyPages } from "./copyPages.js"
import { snapshotMessages, valueJson } from "./messages.js"

/** Postgres' COPY TO text output of one value (src/backend/commands/copyto.c, CopyAttributeOutText). */
const copyText = (v: string | null): string =>
  v === null
    ? "\\N"
    : v.replace(
        /[\\\b\f\n\r\t\v]/g,
        (c) => `\\${{ "\\": "\\", "\b": "b", "\f": "f", "\n": "n", "\r": "r", "\t": "t", "\v": "v" }[c]}`,
      )

const names = ["workspace_id", "id", "title", "due_date"]
const ref = (row: ReadonlyArray<string | null>) => snapshotMessages("tasks", "w1")(row[0]!, valueJson(names)(row, 1))

/** Characters COPY and JSON treat specially, and some that are not special at all. */
const text = fc.string({
  unit: fc.oneof(
    fc.constantFrom("\\", '"', "\t", "\n", "\r", "\b", "\f", "\v", "\u0001", "\u001f", "N", "a", "é", "\u2028", "😀"),
    // Any code point Postgres text can hold (no NUL, no lone surrogates).
    fc
      .integer({ min: 1, max: 0x10ffff })
      .filter((c) => c < 0xd800 || c > 0xdfff)
      .map((c) => String.fromCodePoint(c)),
  ),
  maxLength: 12,
})
const row = fc.tuple(text, fc.constant("w1"), text, fc.option(text, { nil: null }), fc.option(text, { nil: null }))

/** The pages a COPY output cut at `cuts` makes, with `pageBytes`. */
const pagesOf = (
  bytes: Buffer,
  cuts: ReadonlyArray<number>,
  pageBytes: number,
  extra: ReadonlyArray<string> = [],
  skip: ReadonlySet<string> = new Set(),
) => {
  const pages: Array<string> = []
  const builder = copyPages("tasks", "w1", names, pageBytes, (p) => pages.push(Buffer.from(p).toString("utf8")), skip)
  const at = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b)
  let from = 0
  for (const to of [...at, bytes.length]) {
    builder.push(bytes.subarray(from, to))
    from = to
  }
  for (const m of extra) builder.add(m)
  pages.push(Buffer.from(builder.end()).toString("utf8"))
  return pages
}

describe("copyPages", () => {
  it("[W3] COPY text rows become the same insert messages as the row values encoded directly, however the bytes are cut and paged, rows of skipped ids left out", () => {
    fc.assert(
      fc.property(
        fc.array(row, { maxLength: 20 }),
        fc.array(fc.nat(), { maxLength: 6 }),
        fc.integer({ min: 1, max: 3000 }),
        fc.array(fc.nat(), { maxLength: 3 }),
        (rows, cuts, pageBytes, skipAt) => {
          const bytes = Buffer.from(rows.map((r) => `${r.map(copyText).join("\t")}\n`).join(""), "utf8")
          // Ids an initial sync rebuilds are left out of the COPY's rows.
          const skip = new Set(rows.length === 0 ? [] : skipAt.map((i) => rows[i % rows.length]![0]!))
          const pages = pagesOf(bytes, cuts, pageBytes, ['{"extra":1}'], skip)
          const expected = [...rows.filter((r) => !skip.has(r[0]!)).map(ref), '{"extra":1}']
          expect(
            pages
              .map((p) => p.slice(1, -1))
              .filter((p) => p !== "")
              .join(","),
          ).toBe(expected.join(","))
          for (const p of pages) expect(Array.isArray(JSON.parse(p))).toBe(true)
          // Every page but the last is full, none is empty.
          for (const p of pages.slice(0, -1)) expect(Buffer.byteLength(p)).toBeGreaterThanOrEqual(pageBytes)
          for (const p of pages) expect(p).not.toBe("[]")
        },
      ),
      { numRuns: 300 },
    )
  })

  it("[W3] clean rows are copied as bytes and still match, NULLs included; an empty snapshot is one empty page", () => {
    const bytes = Buffer.from("t1\tw1\ttask one\t\\N\t\\N\nt2\tw1\tprojet é\t2024-05-01\t\\N\n")
    expect(pagesOf(bytes, [], 1 << 20)).toEqual([
      `[${ref(["t1", "w1", "task one", null, null])},${ref(["t2", "w1", "projet é", "2024-05-01", null])}]`,
    ])
    expect(pagesOf(Buffer.alloc(0), [], 100)).toEqual(["[]"])
  })
})
