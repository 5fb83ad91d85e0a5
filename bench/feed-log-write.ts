/**
 * Postgres' cost of storing the feed's change_log batches (issue #16, live path), plain SQL
 * without a server: ways to write a batch of 20,000 changes (20 transactions of 1,000 task
 * inserts, as the writers in bench/feed.ts produce them). The first variants are the
 * row-per-change layout change_log had before migration 0011 (its single statement, then
 * COPY, then fewer indexes); the last are the grouped layout ChangeWriter writes now
 * (changeGroups.ts: its binary COPY and its single statement, and the same groups
 * compressed). Every variant writes into its own table, in the same rounds, in an order
 * rotated each round, so machine load falls on all of them alike; each is printed as its
 * median time per batch (the client's encoding included), changes/s, WAL bytes per change
 * and the Postgres backend's CPU time per change (from /proc), each beside its ratio to the
 * first variant.
 * Run: node --import tsx bench/feed-log-write.ts [rounds=9] [batch=20000].
 */
import { execFileSync } from "node:child_process"
import { readFileSync } from "node:fs"
import { loadavg } from "node:os"
import { Readable } from "node:stream"
import { pipeline } from "node:stream/promises"
import type { PendingTx } from "@vibestack/server/src/feed/ChangeWriter.js"
import { COPY_COLUMNS, encodeGroupsCopy, encodeGroupsJson, groupsOf } from "@vibestack/server/src/feed/changeGroups.js"
import { jsonString } from "@vibestack/server/src/feed/messages.js"
import { startTestPg } from "@vibestack/server/src/test/pg.js"
import pg from "pg"
import { from as copyFrom } from "pg-copy-streams"

const ROUNDS = Number(process.argv[2] ?? 9)
const BATCH = Number(process.argv[3] ?? 20_000)
const load = () =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(" / ")
const median = (xs: Array<number>) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN

const COLUMNS = `lsn bigint not null, pos integer not null, xid bigint not null, tbl text not null,
  workspace_id text not null, row_id text not null, op "char" not null, value text not null,
  committed_at timestamptz not null, old text`
const SHAPE = (t: string) => `create index ${t}_shape on ${t} (tbl, workspace_id, lsn, pos)`
const XID = (t: string) => `create index ${t}_xid on ${t} (xid)`
/** Migration 0010's: one entry per transaction (its first change), not one per change. */
const TX_XID = (t: string) => `create index ${t}_tx_xid on ${t} (xid) where pos = 1`

const jsonInsert = (t: string, conflict: boolean) => `
with ins as (
  insert into ${t} (lsn, pos, xid, tbl, workspace_id, row_id, op, value, committed_at, old)
  select l, p, x, t, w, r, o, v::text, c, b::text
  from json_to_recordset($1::json) as x(l int8, p int4, x int8, t text, w text, r text, o "char", v json,
                                        c timestamptz, b json)
  ${conflict ? "on conflict (lsn, pos) do nothing" : ""}
  returning 1
), st as (
  update state set stored = greatest(stored, $2) where id = '${t}' returning stored
)
select pg_notify('bench_feed', $3) as n, (select count(*) from ins)::int as inserted`

/** The row-per-change layout's statement parameter: one JSON object per change. */
const encodeBatch = (batch: ReadonlyArray<PendingTx>): string => {
  let out = "["
  for (const tx of batch) {
    const head = `"l":${tx.lsn},"x":${tx.xid},"c":"${tx.at.toISOString()}","p":`
    tx.changes.forEach((c, i) => {
      out += `${out.length > 1 ? "," : ""}{${head}${i + 1},"t":${jsonString(c.tbl)},"w":${jsonString(c.ws)},"r":${jsonString(c.id)},"o":"${c.op}","v":${c.value},"b":${c.old ?? "null"}}`
    })
  }
  return `${out}]`
}

/** COPY text format: JSON never holds a raw tab or newline, so only backslashes need doubling. */
const copyField = (s: string) => (s.includes("\\") ? s.replaceAll("\\", "\\\\") : s)
const encodeCopy = (batch: ReadonlyArray<PendingTx>): string => {
  const parts: Array<string> = []
  for (const tx of batch) {
    const head = `${tx.lsn}\t`
    const tail = `\t${tx.xid}\t`
    const at = tx.at.toISOString()
    tx.changes.forEach((c, i) => {
      parts.push(
        `${head}${i + 1}${tail}${c.tbl}\t${copyField(c.ws)}\t${copyField(c.id)}\t${c.op}\t${copyField(c.value)}\t${at}\t${c.old === null ? "\\N" : copyField(c.old)}\n`,
      )
    })
  }
  return parts.join("")
}

interface Variant {
  readonly name: string
  /** The table's columns when not change_log's (COLUMNS). */
  readonly columns?: string
  readonly indexes: (t: string) => Array<string>
  readonly write: (c: pg.Client, t: string, batch: ReadonlyArray<PendingTx>, stored: number) => Promise<void>
}

const viaJson =
  (conflict: boolean) => async (c: pg.Client, t: string, batch: ReadonlyArray<PendingTx>, stored: number) => {
    await c.query(jsonInsert(t, conflict), [encodeBatch(batch), stored, `${stored}|tasks:w`])
  }
const viaCopy = async (c: pg.Client, t: string, batch: ReadonlyArray<PendingTx>, stored: number) => {
  await c.query("begin")
  await pipeline(
    Readable.from([encodeCopy(batch)]),
    c.query(
      copyFrom(
        `copy ${t} (lsn, pos, xid, tbl, workspace_id, row_id, op, value, committed_at, old) from stdin`,
      ) as never,
    ),
  )
  await c.query(`update state set stored = greatest(stored, $1) where id = '${t}'`, [stored])
  await c.query("select pg_notify('bench_feed', $1)", [`${stored}|tasks:w`])
  await c.query("commit")
}
const viaUnnest = async (c: pg.Client, t: string, batch: ReadonlyArray<PendingTx>, stored: number) => {
  const cols: Array<Array<unknown>> = Array.from({ length: 10 }, () => [])
  for (const tx of batch)
    tx.changes.forEach((ch, i) => {
      const row = [tx.lsn, i + 1, tx.xid, ch.tbl, ch.ws, ch.id, ch.op, ch.value, tx.at.toISOString(), ch.old]
      row.forEach((v, k) => cols[k]!.push(v))
    })
  await c.query(
    `with ins as (
      insert into ${t} (lsn, pos, xid, tbl, workspace_id, row_id, op, value, committed_at, old)
      select * from unnest($1::int8[], $2::int4[], $3::int8[], $4::text[], $5::text[], $6::text[], $7::"char"[],
                           $8::text[], $9::timestamptz[], $10::text[])
      on conflict (lsn, pos) do nothing returning 1
    ), st as (update state set stored = greatest(stored, $11) where id = '${t}' returning stored)
    select pg_notify('bench_feed', $12), (select count(*) from ins)::int`,
    [...cols, stored, `${stored}|tasks:w`],
  )
}

/** Migration 0011's change_groups. */
const GROUPED = `lsn bigint not null, pos integer not null, last_pos integer not null,
  n integer not null, xid bigint not null, tbl text not null, workspace_id text not null,
  committed_at timestamptz not null, changes text not null`
/** ChangeWriter's COPY: binary, groups from changeGroups.ts. */
const viaGroupsCopy = async (c: pg.Client, t: string, batch: ReadonlyArray<PendingTx>, stored: number) => {
  await c.query("begin")
  await pipeline(
    Readable.from([encodeGroupsCopy(batch.flatMap(groupsOf))]),
    c.query(copyFrom(`copy ${t} (${COPY_COLUMNS}) from stdin with (format binary)`) as never),
  )
  await c.query(`update state set stored = greatest(stored, $1) where id = '${t}'`, [stored])
  await c.query("select pg_notify('bench_feed', $1)", [`${stored}|tasks:w`])
  await c.query("commit")
}
/** ChangeWriter's single statement (small batches), on the groups. */
const viaGroupsJson = async (c: pg.Client, t: string, batch: ReadonlyArray<PendingTx>, stored: number) => {
  await c.query(
    `with ins as (
      insert into ${t} (${COPY_COLUMNS})
      select l, p, q, n, x, t, w, c, g
      from json_to_recordset($1::json) as r(l int8, p int4, q int4, n int4, x int8, t text, w text, c timestamptz, g text)
      on conflict (lsn, pos) do nothing returning n
    ), st as (update state set stored = greatest(stored, $2) where id = '${t}' returning stored)
    select pg_notify('bench_feed', $3), (select coalesce(sum(n), 0) from ins)::int`,
    [encodeGroupsJson(batch.flatMap(groupsOf)), stored, `${stored}|tasks:w`],
  )
}
const external = (t: string) => `alter table ${t} alter column changes set storage external`

const pk = (t: string) => [`alter table ${t} add primary key (lsn, pos)`]
const VARIANTS: Array<Variant> = [
  { name: "rows: json+conflict, 3 idx", indexes: (t) => [...pk(t), SHAPE(t), XID(t)], write: viaJson(true) },
  { name: "rows: json, no conflict, 3 idx", indexes: (t) => [...pk(t), SHAPE(t), XID(t)], write: viaJson(false) },
  { name: "rows: unnest+conflict, 3 idx", indexes: (t) => [...pk(t), SHAPE(t), XID(t)], write: viaUnnest },
  { name: "rows: copy, 3 idx", indexes: (t) => [...pk(t), SHAPE(t), XID(t)], write: viaCopy },
  { name: "rows: copy, xid idx where pos = 1", indexes: (t) => [...pk(t), SHAPE(t), TX_XID(t)], write: viaCopy },
  { name: "rows: copy, pk only", indexes: (t) => pk(t), write: viaCopy },
  { name: "rows: copy, no index", indexes: () => [], write: viaCopy },
  {
    name: "groups: binary copy (ChangeWriter)",
    columns: GROUPED,
    indexes: (t) => [...pk(t), SHAPE(t), TX_XID(t), external(t)],
    write: viaGroupsCopy,
  },
  {
    name: "groups: json statement (ChangeWriter)",
    columns: GROUPED,
    indexes: (t) => [...pk(t), SHAPE(t), TX_XID(t), external(t)],
    write: viaGroupsJson,
  },
  {
    name: "groups: binary copy, compressed",
    columns: GROUPED,
    indexes: (t) => [...pk(t), SHAPE(t), TX_XID(t)],
    write: viaGroupsCopy,
  },
]

const WORKSPACES = Array.from({ length: 20 }, (_, i) => `0b7c${String(i).padStart(4, "0")}-2f1e-4c7a-9d3b-6a5e4f3c2b1a`)
let nextLsn = 100_000_000
let nextXid = 1000
/** One batch: 20-row… LIVE-row transactions of task inserts, each transaction one workspace. */
const makeBatch = (round: number): Array<PendingTx> => {
  const txs: Array<PendingTx> = []
  for (let done = 0; done < BATCH; done += 1000) {
    const ws = WORKSPACES[(round * 7 + done / 1000) % WORKSPACES.length]!
    const lsn = (nextLsn += 400_000)
    const changes = Array.from({ length: Math.min(1000, BATCH - done) }, (_, i) => {
      const g = round * BATCH + done + i
      const row = {
        workspace_id: ws,
        id: `t${g}`,
        project_id: `p${g % 10}`,
        title: `task ${g}`,
        description: 'a description of some length, with "quotes" and a \\ backslash',
        status: "todo",
        priority: "none",
        assignee_id: null,
        due_date: null,
        sort_key: String(g).padStart(8, "0"),
        created_at: "2026-11-24 20:01:02.123456+00",
        updated_at: "2026-11-24 20:01:02.123456+00",
      }
      return { tbl: "tasks", ws, id: row.id, op: "i" as const, value: JSON.stringify(row), old: null }
    })
    txs.push({ xid: nextXid++, lsn, endLsn: lsn + 100, at: new Date(), changes })
  }
  return txs
}

const loadAtStart = load()
const server = await startTestPg()
const c = new pg.Client({ connectionString: server.url })
await c.connect()
const backend = (await c.query("select pg_backend_pid() as pid")).rows[0].pid as number
const TICK_MS = 1000 / Number(execFileSync("getconf", ["CLK_TCK"]).toString().trim())
/** The backend's CPU time so far (user + system), from /proc: barely moved by the machine's load. */
const cpuMs = () => {
  const fields = readFileSync(`/proc/${backend}/stat`, "utf8").split(") ")[1]!.split(" ")
  return (Number(fields[11]) + Number(fields[12])) * TICK_MS
}
await c.query("create table state (id text primary key, stored bigint not null default 0)")
const tables = VARIANTS.map((_, i) => `log_${i}`)
for (const [i, v] of VARIANTS.entries()) {
  const t = tables[i]!
  await c.query(`create table ${t} (${v.columns ?? COLUMNS})`)
  for (const s of v.indexes(t)) await c.query(s)
  await c.query("insert into state (id) values ($1)", [t])
}
const times = VARIANTS.map(() => [] as Array<number>)
const walPerRow = VARIANTS.map(() => [] as Array<number>)
const cpu = VARIANTS.map(() => 0)
const wal = async () => BigInt((await c.query("select pg_current_wal_insert_lsn() - '0/0' as n")).rows[0].n)
for (let round = 0; round < ROUNDS; round++) {
  const batch = makeBatch(round)
  const stored = batch.at(-1)!.endLsn
  for (let k = 0; k < VARIANTS.length; k++) {
    const i = (k + round) % VARIANTS.length
    const w0 = await wal()
    const c0 = cpuMs()
    const t0 = performance.now()
    await VARIANTS[i]!.write(c, tables[i]!, batch, stored)
    times[i]!.push(performance.now() - t0)
    cpu[i]! += cpuMs() - c0
    walPerRow[i]!.push(Number((await wal()) - w0) / BATCH)
  }
}
// Checkpoints touch every table alike; report sizes as a check that every variant stored it all.
const counts = await Promise.all(
  tables.map(
    async (t, i) =>
      (await c.query(`select ${VARIANTS[i]!.columns ? "sum(n)" : "count(*)"}::int as n from ${t}`)).rows[0].n,
  ),
)
await c.end()
await server.dispose()

const base = median(times[0]!)
console.log(
  `\nchange_log batch writes: ${ROUNDS} rounds of ${BATCH.toLocaleString("en")} changes (tables grow to ${counts[0].toLocaleString("en")} changes)`,
)
console.log(`Node ${process.version}, load average (1/5/15 min) ${loadAtStart} at start, ${load()} at end`)
const w = Math.max(...VARIANTS.map((v) => v.name.length))
console.log(`${"variant".padEnd(w)}  median ms/batch  changes/s   WAL B/chg  × first  backend CPU µs/chg  × first`)
for (const [i, v] of VARIANTS.entries()) {
  const m = median(times[i]!)
  const cells = [
    m.toFixed(0).padStart(15),
    Math.round(BATCH / (m / 1000))
      .toLocaleString("en")
      .padStart(10),
    median(walPerRow[i]!).toFixed(0).padStart(9),
    (m / base).toFixed(2).padStart(7),
    ((cpu[i]! * 1000) / (ROUNDS * BATCH)).toFixed(1).padStart(18),
    (cpu[i]! / cpu[0]!).toFixed(2).padStart(7),
  ]
  console.log(`${v.name.padEnd(w)}  ${cells.join("  ")}${counts[i] === counts[0] ? "" : ` (${counts[i]} rows!)`}`)
}
