import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { copyMessages } from "./copyMessages.js"
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

describe("copyMessages", () => {
  it("[W3] COPY text rows become the same insert messages as the row values encoded directly, however the bytes are cut", () => {
    fc.assert(
      fc.property(fc.array(row, { maxLength: 20 }), fc.array(fc.nat(), { maxLength: 6 }), (rows, cuts) => {
        const bytes = Buffer.from(rows.map((r) => `${r.map(copyText).join("\t")}\n`).join(""), "utf8")
        const at = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b)
        const decoder = copyMessages("tasks", "w1", names)
        const out: Array<string> = []
        let from = 0
        for (const to of [...at, bytes.length]) {
          decoder.push(bytes.subarray(from, to), out)
          from = to
        }
        decoder.end(out)
        expect(out).toEqual(rows.map(ref))
        for (const m of out) expect(() => JSON.parse(m)).not.toThrow()
      }),
      { numRuns: 300 },
    )
  })

  it("[W3] clean rows take the direct path and still match, NULLs included", () => {
    const decoder = copyMessages("tasks", "w1", names)
    const out: Array<string> = []
    decoder.push(Buffer.from("t1\tw1\ttask one\t\\N\t\\N\nt2\tw1\tprojet é\t2024-05-01\t\\N\n"), out)
    expect(out).toEqual([ref(["t1", "w1", "task one", null, null]), ref(["t2", "w1", "projet é", "2024-05-01", null])])
  })
})
