import fc from "fast-check"

/**
 * Random rows of a tasks-like table and random `where`s from the grammar, for the
 * property tests that hold the in-memory predicate, our SQL and Postgres to one answer.
 */

/** Characters that stress ordering, case folding and LIKE: astral, accented, wildcards, quotes. */
const CHARS = ["a", "b", "B", "z", "é", "É", "😀", "\uFFFD", "%", "_", "\\", "'", " "]
export const textArb = fc.array(fc.constantFrom(...CHARS), { maxLength: 4 }).map((cs) => cs.join(""))
const dateArb = fc.oneof(
  fc
    .integer({ min: -2000, max: 2000 })
    .map((d) => new Date(Date.UTC(2024, 0, 1) + d * 86_400_000).toISOString().slice(0, 10)),
  fc.constantFrom("infinity", "-infinity", "0044-03-15 BC", "2024-02-29"),
)
const tsArb = fc.oneof(
  fc
    .tuple(fc.integer({ min: -50_000, max: 50_000 }), fc.integer({ min: 0, max: 999_999 }))
    .map(
      ([min, us]) =>
        `${new Date(Date.UTC(2024, 0, 1) + min * 60_000).toISOString().slice(0, 19).replace("T", " ")}.${String(us).padStart(6, "0")}+00`,
    ),
  fc.constantFrom("infinity", "-infinity", "2024-01-01 00:00:00+00"),
)

export interface TaskRow {
  readonly id: string
  readonly title: string
  readonly status: string
  readonly assignee_id: string | null
  readonly archived: boolean | null
  readonly due_date: string | null
  readonly created_at: string
}

export const rowArb = (id: string): fc.Arbitrary<TaskRow> =>
  fc.record({
    id: fc.constant(id),
    title: textArb,
    status: fc.constantFrom("todo", "doing", "done", "Done"),
    assignee_id: fc.option(textArb, { nil: null }),
    archived: fc.option(fc.boolean(), { nil: null }),
    due_date: fc.option(dateArb, { nil: null }),
    created_at: tsArb,
  })

const quote = (s: string) => `'${s.replace(/'/g, "''")}'`

/** A where with its params: `$n` in `where` takes `params[n - 1]`. */
export interface WhereCase {
  readonly where: string
  readonly params: ReadonlyArray<string>
}

type Build = (params: Array<string>) => string

/** A literal, sometimes passed as a parameter instead. */
const lit = (value: string, cast = ""): fc.Arbitrary<Build> =>
  fc.boolean().map((asParam) => (params) => {
    if (!asParam) return `${quote(value)}${cast}`
    params.push(value)
    return `$${params.length}${cast}`
  })

const op = fc.constantFrom("=", "<>", "<", "<=", ">", ">=", "!=")

/** Which columns of the table the generated wheres may use, by type. */
export interface WhereColumns {
  readonly text: ReadonlyArray<string>
  readonly bool?: string
  readonly date: string
  readonly ts: string
}

export const TASK_LIKE: WhereColumns = {
  text: ["title", "status", "assignee_id", "id"],
  bool: "archived",
  date: "due_date",
  ts: "created_at",
}

const atomFor = (cols: WhereColumns): fc.Arbitrary<Build> => {
  const textCol = fc.constantFrom(...cols.text)
  const { date, ts } = cols
  const atoms: Array<fc.Arbitrary<Build>> = [
    fc
      .tuple(
        textCol,
        op,
        textArb.chain((v) => lit(v)),
      )
      .map(
        ([c, o, l]) =>
          (p: Array<string>) =>
            `${c} ${o} ${l(p)}`,
      ),
    fc.tuple(textCol, op, textCol).map(
      ([a, o, b]) =>
        () =>
          `${a} ${o} ${b}`,
    ),
    fc
      .tuple(
        textArb.chain((v) => lit(v)),
        op,
        textCol,
      )
      .map(
        ([l, o, c]) =>
          (p: Array<string>) =>
            `${l(p)} ${o} ${c}`,
      ),
    fc
      .tuple(
        textCol,
        fc.boolean(),
        fc.constantFrom("like", "ilike"),
        textArb.filter((t) => !/\\$/.test(t.replace(/\\\\/g, ""))),
      )
      .chain(([c, not, kind, pat]) =>
        lit(pat).map((l) => (p: Array<string>) => `${c} ${not ? "not " : ""}${kind} ${l(p)}`),
      ),
    fc.tuple(textCol, fc.boolean(), fc.array(fc.option(textArb, { nil: null }), { minLength: 1, maxLength: 3 })).map(
      ([c, not, items]) =>
        () =>
          `${c} ${not ? "not " : ""}in (${items.map((i) => (i === null ? "null" : quote(i))).join(", ")})`,
    ),
    fc.tuple(fc.constantFrom(...cols.text, date, ts, ...(cols.bool ? [cols.bool] : [])), fc.boolean()).map(
      ([c, not]) =>
        () =>
          `${c} is ${not ? "not " : ""}null`,
    ),
    fc
      .tuple(
        op,
        dateArb.chain((d) => lit(d)),
      )
      .map(
        ([o, l]) =>
          (p: Array<string>) =>
            `${date} ${o} ${l(p)}`,
      ),
    fc
      .tuple(
        op,
        tsArb.chain((t) => lit(t)),
      )
      .map(
        ([o, l]) =>
          (p: Array<string>) =>
            `${ts} ${o} ${l(p)}`,
      ),
    fc
      .tuple(
        op,
        fc.integer({ min: -12, max: 12 }),
        tsArb.filter((t) => !t.includes("inf")),
      )
      .map(
        ([o, h, t]) =>
          () =>
            `${ts} ${o} ${quote(`${t.slice(0, 19)}${h < 0 ? "-" : "+"}${String(Math.abs(h)).padStart(2, "0")}`)}`,
      ),
    fc.tuple(fc.boolean(), dateArb, dateArb).map(
      ([not, a, b]) =>
        () =>
          `${date} ${not ? "not " : ""}between ${quote(a)} and ${quote(b)}`,
    ),
    fc.tuple(op, dateArb).map(
      ([o, d]) =>
        () =>
          `${ts}::date ${o} ${quote(d)}`,
    ),
    fc.tuple(op, tsArb).map(
      ([o, t]) =>
        () =>
          `${date}::timestamptz ${o} ${quote(t)}::timestamptz`,
    ),
    fc.tuple(textArb).map(
      ([t]) =>
        () =>
          `${ts}::text > ${quote(t)}`,
    ),
    fc.tuple(textCol, textArb).map(
      ([c, t]) =>
        () =>
          `${c} is distinct from ${quote(t)}`,
    ),
    fc.tuple(dateArb).map(
      ([d]) =>
        () =>
          `date ${quote(d)} < ${date}`,
    ),
  ]
  const b = cols.bool
  if (b)
    atoms.push(
      fc.tuple(fc.boolean(), fc.boolean()).map(
        ([not, v]) =>
          () =>
            `${b} is ${not ? "not " : ""}${v}`,
      ),
      fc.constant(() => b),
      fc.tuple(op, fc.boolean()).map(
        ([o, v]) =>
          () =>
            `${b} ${o} ${v}`,
      ),
      fc.tuple(fc.boolean()).map(
        ([v]) =>
          () =>
            `${b}::text = ${quote(String(v))}`,
      ),
    )
  return fc.oneof(...atoms)
}

export const whereArbFor = (cols: WhereColumns): fc.Arbitrary<WhereCase> => {
  const atom = atomFor(cols)
  const build = fc.letrec<{ expr: Build }>((tie) => ({
    expr: fc.oneof(
      { depthSize: "small", withCrossShrink: true },
      atom,
      fc.tuple(tie("expr"), fc.constantFrom("and", "or"), tie("expr")).map(
        ([a, k, b]) =>
          (p: Array<string>) =>
            `(${a(p)}) ${k} (${b(p)})`,
      ),
      tie("expr").map((a) => (p: Array<string>) => `not (${a(p)})`),
    ),
  })).expr
  return build.map((b) => {
    const params: Array<string> = []
    const where = b(params)
    return { where, params }
  })
}

export const whereArb = whereArbFor(TASK_LIKE)
