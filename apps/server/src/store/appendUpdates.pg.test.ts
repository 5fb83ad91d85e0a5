import { sqlMigrations } from "@vibestack/migrations"
import fc from "fast-check"
import pg from "pg"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { startTestPg, type TestPg } from "../test/pg.js"

/**
 * The push commit's SQL (`vibestack_append_updates`): a call of one push has its own statements
 * (migration 0013), calls of at most 16 pushes run as plain statements (0012, kept as
 * `vibestack_append_updates_few`), larger ones as migration 0009's set-based statement (kept as
 * `vibestack_append_updates_set`). All must follow the same rules (S3, S11), so the same calls
 * go through each, on two workspaces, and everything they answer, store and notify is compared.
 */
let server: TestPg
let db: pg.Client
let listener: pg.Client
const notified: Array<{ ws: string; doc: string; seq: number; n: string }> = []

beforeAll(async () => {
  server = await startTestPg()
  db = new pg.Client({ connectionString: server.url })
  await db.connect()
  for (const m of sqlMigrations) await db.query(m.sql)
  listener = new pg.Client({ connectionString: server.url })
  await listener.connect()
  listener.on("notification", (m) => notified.push(JSON.parse(m.payload ?? "{}")))
  await listener.query("LISTEN vibestack_updates")
})
afterAll(async () => {
  await listener?.end()
  await db?.end()
  await server?.dispose()
})

interface Push {
  readonly doc: string
  readonly key: string | null
  readonly bytes: Uint8Array
}
type Answer = { ord: number; seq: number; duplicate: boolean }

let workspaces = 0
const newWorkspace = async (): Promise<string> => {
  const id = `ws-append-${workspaces++}`
  await db.query("insert into workspaces (id, name, creator_key_hash, master_token_id) values ($1, 'w', 'h', 't')", [
    id,
  ])
  return id
}

/** One call of `fn` on `session` (the file's connection unless told). */
const append = async (
  fn: string,
  ws: string,
  pushes: ReadonlyArray<Push>,
  node = "node-a",
  session: pg.Client = db,
): Promise<Array<Answer>> => {
  const { rows } = await session.query(
    `select ord, seq::int as seq, duplicate from ${fn}($1::text[], $2::text[], $3::bytea[], $4::text[], $5::text[], $6::text)`,
    [
      pushes.map(() => ws),
      pushes.map((p) => p.doc),
      pushes.map((p) => Buffer.from(p.bytes)),
      pushes.map(() => "client"),
      pushes.map((p) => p.key),
      node,
    ],
  )
  return rows
}

/** What a workspace holds: every stored push per document, each document's head and byte count. */
const stored = async (ws: string) => {
  const updates = await db.query(
    "select doc_id, seq::int as seq, encode(bytes, 'hex') as bytes, idempotency_key from doc_updates where workspace_id = $1 order by doc_id, seq",
    [ws],
  )
  const docs = await db.query(
    "select doc_id, last_seq::int as last_seq, bytes::int as bytes from docs where workspace_id = $1 order by doc_id",
    [ws],
  )
  return { updates: updates.rows, docs: docs.rows }
}

/** The notifications of one workspace since `from`, once the last expected one has arrived. */
const notificationsOf = async (ws: string, from: number, expected: number) => {
  for (let i = 0; i < 200 && notified.slice(from).filter((n) => n.ws === ws).length < expected; i++)
    await new Promise((r) => setTimeout(r, 5))
  await new Promise((r) => setTimeout(r, 20))
  return notified
    .slice(from)
    .filter((n) => n.ws === ws)
    .map(({ doc, seq, n }) => ({ doc, seq, n }))
    .sort((a, b) => a.doc.localeCompare(b.doc) || a.seq - b.seq)
}

const push = fc.record({
  doc: fc.constantFrom("main", "other", "third"),
  // A small key pool: keys repeat within a call and across calls; null keys are never duplicates.
  key: fc.option(fc.constantFrom("k1", "k2", "k3", "k4", "k5", "k6"), { nil: null }),
  bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }),
})

describe("the push commit's SQL: small calls and large calls follow the same rules", () => {
  it("[S3][S11] answers, stores and notifies the same through either path", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(push, { minLength: 1, maxLength: 16 }), { minLength: 1, maxLength: 4 }),
        async (calls) => {
          const small = await newWorkspace()
          const set = await newWorkspace()
          for (const call of calls) {
            const before = notified.length
            const a = await append("vibestack_append_updates", small, call)
            const b = await append("vibestack_append_updates_set", set, call)
            expect(a).toEqual(b)
            // One notification per document that grew, with its head after the call.
            const grown = new Set(call.filter((_, i) => !a[i]!.duplicate).map((p) => p.doc)).size
            const na = await notificationsOf(small, before, grown)
            expect(na).toEqual(await notificationsOf(set, before, grown))
            expect(na).toHaveLength(grown)
          }
          expect(await stored(small)).toEqual(await stored(set))
        },
      ),
      { numRuns: 25 },
    )
  })

  it("[S3][S11] one push per call (a new document, keys stored before, no key) answers, stores and notifies as the set-based statement", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(push, { minLength: 1, maxLength: 24 }), async (pushes) => {
        const one = await newWorkspace()
        const set = await newWorkspace()
        for (const p of pushes) {
          const before = notified.length
          const a = await append("vibestack_append_updates", one, [p])
          expect(a).toEqual(await append("vibestack_append_updates_set", set, [p]))
          const grown = a[0]!.duplicate ? 0 : 1
          const na = await notificationsOf(one, before, grown)
          expect(na).toEqual(await notificationsOf(set, before, grown))
          expect(na).toHaveLength(grown)
        }
        expect(await stored(one)).toEqual(await stored(set))
      }),
      { numRuns: 25 },
    )
  })

  it("[S3] a key met earlier in the call or stored before answers with that push's seq, as a duplicate", async () => {
    const ws = await newWorkspace()
    const bytes = new Uint8Array([1])
    expect(await append("vibestack_append_updates", ws, [{ doc: "main", key: "a", bytes }])).toEqual([
      { ord: 1, seq: 1, duplicate: false },
    ])
    expect(
      await append("vibestack_append_updates", ws, [
        { doc: "main", key: "b", bytes },
        { doc: "main", key: "a", bytes },
        { doc: "other", key: "b", bytes },
        { doc: "main", key: "b", bytes },
        { doc: "main", key: null, bytes },
      ]),
    ).toEqual([
      { ord: 1, seq: 2, duplicate: false },
      { ord: 2, seq: 1, duplicate: true },
      // Keys are per document.
      { ord: 3, seq: 1, duplicate: false },
      { ord: 4, seq: 2, duplicate: true },
      { ord: 5, seq: 3, duplicate: false },
    ])
    const { docs, updates } = await stored(ws)
    expect(docs).toEqual([
      { doc_id: "main", last_seq: 3, bytes: 3 },
      { doc_id: "other", last_seq: 1, bytes: 1 },
    ])
    expect(updates.map((u) => [u.doc_id, u.seq, u.idempotency_key])).toEqual([
      ["main", 1, "a"],
      ["main", 2, "b"],
      ["main", 3, null],
      ["other", 1, "b"],
    ])
  })

  it("[S18] a push updates its document's row once, seq and bytes together; other writers' inserts are still counted", async () => {
    const ws = await newWorkspace()
    const b = (...xs: Array<number>) => new Uint8Array(xs)
    await append("vibestack_append_updates", ws, [{ doc: "main", key: "a", bytes: b(1) }])
    /** Row updates of `docs` made by `f`, counted inside its transaction (before and after it). */
    const docsUpdatedBy = async (f: () => Promise<unknown>): Promise<number> => {
      const updates = async (): Promise<number> =>
        (await db.query("select n_tup_upd::int as n from pg_stat_xact_user_tables where relname = 'docs'")).rows[0]
          ?.n ?? 0
      await db.query("begin")
      try {
        const before = await updates()
        await f()
        return (await updates()) - before
      } finally {
        await db.query("commit")
      }
    }
    // One push: one row update (the byte-count trigger used to make it two).
    expect(
      await docsUpdatedBy(() => append("vibestack_append_updates", ws, [{ doc: "main", key: "b", bytes: b(1, 2) }])),
    ).toBe(1)
    // Three pushes in a call: one update each.
    const three = ["c", "d", "e"].map((key) => ({ doc: "main", key, bytes: b(1, 2, 3) }))
    expect(await docsUpdatedBy(() => append("vibestack_append_updates", ws, three))).toBe(3)
    // A direct insert (as a restore writes) after a push in the same transaction: the trigger counts it.
    await docsUpdatedBy(async () => {
      await append("vibestack_append_updates", ws, [{ doc: "main", key: "f", bytes: b(4) }])
      await db.query(
        "insert into doc_updates (workspace_id, doc_id, seq, bytes, client_id) values ($1, 'main', 100, '\\x0102030405', 'direct')",
        [ws],
      )
    })
    const { rows } = await db.query(
      "select d.bytes::int as counted, (select sum(octet_length(u.bytes))::int from doc_updates u where u.workspace_id = d.workspace_id and u.doc_id = d.doc_id) as stored from docs d where d.workspace_id = $1",
      [ws],
    )
    expect(rows).toEqual([{ counted: 1 + 2 + 9 + 1 + 5, stored: 1 + 2 + 9 + 1 + 5 }])
  })

  it("calls past 16 pushes take the set-based statement and keep every rule", async () => {
    const ws = await newWorkspace()
    const pushes = Array.from({ length: 40 }, (_, i) => ({
      doc: i % 2 === 0 ? "main" : "other",
      key: `k${i % 30}`,
      bytes: new Uint8Array([i]),
    }))
    const answers = await append("vibestack_append_updates", ws, pushes)
    // Keys k0..k9 come back at i = 30..39 for the same document (i and i - 30 share parity).
    expect(answers.filter((a) => a.duplicate).map((a) => a.ord)).toEqual(Array.from({ length: 10 }, (_, i) => 31 + i))
    expect(answers.filter((a) => a.ord <= 30).map((a) => a.seq)).toEqual(
      Array.from({ length: 30 }, (_, i) => Math.floor(i / 2) + 1),
    )
  })

  it("[S3][S18] small and large calls look rows up by index, with their plans cached while the tables were small", async () => {
    // A session of its own: the functions' cached plans start afresh, made on the tables as they
    // are now (a few hundred rows), as a server's commit session makes them after a start.
    const session = new pg.Client({ connectionString: server.url })
    await session.connect()
    try {
      const ws = await newWorkspace()
      let keys = 0
      const call = (pushes: number) =>
        append(
          "vibestack_append_updates",
          ws,
          Array.from({ length: pushes }, (_, i) => ({
            doc: `d${i % 4}`,
            key: `probe-${keys++}`,
            bytes: new Uint8Array([i]),
          })),
          "node-a",
          session,
        )
      // Past Postgres' five custom plans, so the cached generic plans are in use: few-push
      // calls (0012's statements) and set-based ones (more than 16 pushes).
      for (let k = 0; k < 8; k++) {
        await call(5)
        await call(20)
      }
      // The log and the documents grow by 20,000 rows each that no ANALYZE has seen (autovacuum
      // would, later).
      await db.query(
        `insert into doc_updates (workspace_id, doc_id, seq, bytes, client_id, idempotency_key)
         select $1, 'd0', 100000 + g, '\\x00', 'client', 'bulk-' || g from generate_series(1, 20000) g`,
        [ws],
      )
      await db.query(
        `insert into workspaces (id, name, creator_key_hash, master_token_id)
         select $1 || '-bulk-' || g, 'w', 'h', 't' from generate_series(1, 20000) g`,
        [ws],
      )
      await db.query(
        "insert into docs (workspace_id, doc_id) select $1 || '-bulk-' || g, 'main' from generate_series(1, 20000) g",
        [ws],
      )
      const plans: Array<string> = []
      session.on("notice", (m) => plans.push(String(m.message)))
      await session.query("load 'auto_explain'")
      await session.query("set auto_explain.log_min_duration = 0")
      await session.query("set auto_explain.log_nested_statements = on")
      await session.query("set client_min_messages = log")
      await call(5)
      await call(20)
      await session.query("set client_min_messages = notice")
      // The set-based statement, its byte-count trigger and the few-push statements were planned.
      expect(plans.find((p) => p.includes("with input as"))).toContain("doc_updates_idempotency_idx")
      expect(plans.some((p) => p.includes("from added"))).toBe(true)
      expect(plans.some((p) => p.includes("for update"))).toBe(true)
      expect(plans.filter((p) => /Seq Scan on (docs|doc_updates)\b/.test(p))).toEqual([])
    } finally {
      await session.end()
    }
  })
})
