import type pg from "pg"
import { to as copyTo } from "pg-copy-streams"
import { expandGroup } from "./changeGroups.js"
import type { CompiledShape } from "./compileShape.js"
import { settingName, settingRef } from "./compileShape.js"
import { copyPages } from "./copyPages.js"
import { type Column, rowKey, snapshotMessage, textSql, valueSql } from "./messages.js"
import { formatOffset, parseLsn } from "./offset.js"
import type { HeldSnapshot } from "./SnapshotStore.js"
import { applyUnseen, type LoggedChange, parseSnapshot, visibleIn, type XidSnapshot } from "./snapshotMerge.js"
import { quoteIdent } from "./where/whereSql.js"

export interface SnapshotQuery {
  readonly shape: CompiledShape
  /** Every column of the table: rows changed behind the snapshot are rebuilt whole. */
  readonly tableColumns: ReadonlyArray<Column>
  readonly ws: string
  readonly pageBytes: number
}

export interface SnapshotDeps {
  readonly awaitStored: (lsn: number) => Promise<boolean>
  /** Resolves when the node holds little enough snapshot memory to read on. */
  readonly room: (stop: () => boolean) => Promise<void>
  readonly hooks: { afterSnapshot?: (() => Promise<void>) | undefined }
}

/**
 * Reads an initial sync into `snap`, page by page, while the client fetches earlier pages:
 * a REPEATABLE READ snapshot S, then L1 = pg_current_wal_lsn(); once everything below L1
 * is stored, the changes below L1 that S did not see are applied to their rows (rule W3,
 * snapshotMerge.ts), so the pages are exactly the shape as of L1 and catch-up continues
 * from `<L1>_0`. The COPY of S's rows starts at once: the wait for the consumer and the
 * read of the unseen changes run beside it (another connection), and its rows are held
 * as they come until the rows to rebuild are known; those are left out of the COPY and
 * added, rebuilt, after it.
 */
export const readSnapshot = async (pool: pg.Pool, deps: SnapshotDeps, q: SnapshotQuery, snap: HeldSnapshot) => {
  const client = await pool.connect().catch((e: unknown) => {
    snap.fail(`database unavailable: ${String(e)}`)
    return undefined
  })
  if (!client) return
  let broken = false
  try {
    for (let attempt = 0; attempt < 3 && !snap.aborted; attempt++) {
      const l0 = await currentLsn(client)
      await client.query("begin isolation level repeatable read read only")
      let open = true
      try {
        const s = await client.query<{ snap: string; epoch: number }>(
          "select pg_current_snapshot()::text as snap, (select epoch from feed_state where id = 1) as epoch",
        )
        if (deps.hooks.afterSnapshot) await deps.hooks.afterSnapshot()
        const l1 = await currentLsn(client)
        const epoch = Number(s.rows[0]!.epoch)
        if (epoch === 0) return snap.fail("the change feed is starting")
        const snapshot = parseSnapshot(s.rows[0]!.snap)
        const unseen = (async (): Promise<Unseen> => {
          if (!(await deps.awaitStored(l1))) return "behind"
          const changes = await unseenChanges(pool, q, l0, l1, snapshot)
          return changes.some((c) => c.op === "t") ? "truncated" : changes
        })()
        if ((await streamPages(client, deps, q, snap, unseen, epoch, snapshot, l1)) === "truncated") continue
        await client.query("commit")
        open = false
        return
      } catch (e) {
        // The consumer did not store everything below L1 in time (the COPY had ended).
        if (e instanceof Behind) return snap.fail(BEHIND)
        // Nothing more may be sent on a connection with a COPY cut short.
        if (e instanceof Abandoned) open = false
        throw e
      } finally {
        if (open) await client.query("rollback").catch(() => (broken = true))
      }
    }
    if (!snap.aborted) snap.fail("the table was truncated during the sync; retry")
  } catch (e) {
    if (e instanceof Abandoned) broken = true
    snap.fail(
      e instanceof Abandoned && e.reply ? e.reply : `snapshot failed: ${e instanceof Error ? e.message : String(e)}`,
    )
  } finally {
    client.release(broken)
  }
}

/** The changes below L1 the snapshot did not see, or why the snapshot cannot be used. */
type Unseen = Array<LoggedChange> | "behind" | "truncated"

const currentLsn = async (client: pg.PoolClient) =>
  parseLsn((await client.query<{ lsn: string }>("select pg_current_wal_lsn()::text as lsn")).rows[0]!.lsn)

interface LoggedGroup {
  readonly lsn: number
  readonly xid: number
  readonly changes: string
}

/**
 * Changes below L1 the snapshot did not see: in flight when it was taken, or begun after.
 * Two index scans: an OR of the two conditions would read the workspace's whole history.
 * A transaction in flight is found by the xid of its first change's group (the only group
 * indexed by xid, migration 0011), and all its groups by that group's commit LSN.
 */
export const unseenChanges = async (
  pool: pg.Pool,
  q: SnapshotQuery,
  l0: number,
  l1: number,
  snapshot: XidSnapshot,
): Promise<Array<LoggedChange>> => {
  const cols = "lsn::float8 as lsn, xid::float8 as xid, changes"
  const recent = await pool.query<LoggedGroup>(
    `select ${cols} from change_groups where tbl = $1 and workspace_id in ($2, '*') and lsn >= $3 and lsn < $4`,
    [q.shape.table, q.ws, l0, l1],
  )
  const inFlight =
    snapshot.xip.length === 0
      ? { rows: [] }
      : await pool.query<LoggedGroup>(
          `select ${cols} from change_groups
           where lsn in (select lsn from change_groups where pos = 1 and xid = any($1::int8[]) and lsn < $2 and lsn < $3)
             and tbl = $4 and workspace_id in ($5, '*')`,
          [snapshot.xip, l1, l0, q.shape.table, q.ws],
        )
  return [...recent.rows, ...inFlight.rows]
    .filter((g) => !visibleIn(snapshot, g.xid))
    .flatMap((g) => expandGroup(g.lsn, g.changes).map((c) => ({ ...c, xid: g.xid })))
}

/** Rows the unseen changes touched, as of L1: their messages, or null where not in the shape. */
const rebuildChanged = async (
  client: pg.PoolClient,
  q: SnapshotQuery,
  unseen: ReadonlyArray<LoggedChange>,
  snapshot: XidSnapshot,
): Promise<Map<string, string | null>> => {
  const out = new Map<string, string | null>()
  if (unseen.length === 0) return out
  const ids = [...new Set(unseen.map((c) => c.rowId))]
  const r = await client.query<[string, string]>({
    text: `select id, ${valueSql(q.tableColumns)} from ${quoteIdent(q.shape.table)} where workspace_id = $1 and id = any($2::text[])`,
    values: [q.ws, ids],
    rowMode: "array",
  })
  const rows = new Map(r.rows.map(([id, v]) => [id, v]))
  applyUnseen(rows, unseen, snapshot)
  const names = q.shape.columns.map((c) => c.name)
  for (const id of ids) {
    const text = rows.get(id)
    const row = text === undefined ? undefined : (JSON.parse(text) as Record<string, string | null>)
    const inShape = row !== undefined && (!q.shape.predicate || q.shape.predicate(row))
    out.set(id, inShape ? snapshotMessage(rowKey(q.shape.table, q.ws, id), pick(row, names)) : null)
  }
  return out
}

const pick = (row: Record<string, string | null>, names: ReadonlyArray<string>) =>
  JSON.stringify(Object.fromEntries(names.map((n) => [n, row[n] ?? null])))

/** COPY output held while the rows to rebuild are not known yet, before the reader waits. */
const HOLD_BYTES = 16 * 1024 * 1024

/**
 * Streams the shape's rows with COPY (no per-column strings; see copyPages.ts) into
 * pages. COPY takes no parameters: the workspace and the `where`'s values reach it as
 * transaction-local settings (compileShape.settingRef), never as text of the statement.
 * Its output is held until `unseen` says which rows are rebuilt (they are left out, and
 * added as of L1 once the COPY is done); a snapshot that cannot be used ("behind": the
 * COPY is abandoned, `Behind`; "truncated": it is read to its end and dropped, and the
 * caller reads again).
 */
const streamPages = async (
  client: pg.PoolClient,
  deps: SnapshotDeps,
  q: SnapshotQuery,
  snap: HeldSnapshot,
  unseenRead: Promise<Unseen>,
  epoch: number,
  snapshot: XidSnapshot,
  l1: number,
): Promise<"done" | "truncated"> => {
  const { shape } = q
  let unseen: Unseen | undefined
  let failed: unknown
  const settled = unseenRead.then(
    (u) => void (unseen = u),
    (e: unknown) => void (failed = e),
  )
  const values = [q.ws, ...(shape.where?.values ?? [])]
  await client.query(
    `select ${values.map((_, i) => `set_config('${settingName(i + 1)}', $${i + 1}, true)`).join(", ")}`,
    values,
  )
  const copy = client.query(
    copyTo(`copy (select id, ${shape.columns.map(textSql).join(", ")} from ${quoteIdent(shape.table)}
      where workspace_id = ${settingRef(1)}${shape.where ? ` and ${shape.where.copySql}` : ""}) to stdout`),
  )
  let held: Array<Buffer> = []
  let heldBytes = 0
  let pages: ReturnType<typeof copyPages> | undefined
  /** Waits for the unseen changes; once they are usable, the page builder exists and has what was held. */
  const known = async (): Promise<boolean> => {
    await settled
    if (failed !== undefined) throw failed
    if (unseen === "behind") throw new Behind()
    if (!Array.isArray(unseen)) {
      held = []
      return false
    }
    if (pages) return true
    snap.epoch = epoch
    pages = copyPages(
      shape.table,
      q.ws,
      shape.columns.map((c) => c.name),
      q.pageBytes,
      (page) => snap.push(page),
      new Set(unseen.map((c) => c.rowId)),
    )
    for (const chunk of held) pages.push(chunk)
    held = []
    return true
  }
  try {
    for await (const chunk of copy as AsyncIterable<Buffer>) {
      if (snap.aborted) throw new Abandoned()
      if (pages) pages.push(chunk)
      else if (unseen === "truncated") continue
      else {
        held.push(chunk)
        heldBytes += chunk.length
        if ((unseen !== undefined || failed !== undefined || heldBytes > HOLD_BYTES) && !(await known())) continue
      }
      await deps.room(() => snap.aborted)
    }
  } catch (e) {
    // A COPY left unread holds the connection: it is not given back to the pool.
    copy.on("error", () => {})
    copy.destroy()
    throw e instanceof Abandoned ? e : new Abandoned(String(e), e instanceof Behind ? BEHIND : undefined)
  }
  if (snap.aborted) throw new Abandoned()
  // A truncate below L1 the snapshot did not see: read again. "behind" throws (Behind).
  if (!(await known()) || !pages || !Array.isArray(unseen)) return "truncated"
  const overrides = await rebuildChanged(client, q, unseen, snapshot)
  for (const m of overrides.values()) if (m !== null) pages.add(m)
  snap.finish(pages.end(), formatOffset({ lsn: l1, pos: 0 }))
  return "done"
}

/** The COPY was cut short: its connection is unusable (`readSnapshot` drops it). */
class Abandoned extends Error {
  constructor(
    why = "snapshot abandoned",
    /** What the client is told, if not the reason. */
    readonly reply?: string,
  ) {
    super(why)
  }
}

/** The consumer did not store everything below L1 within the fence timeout. */
class Behind extends Error {}
const BEHIND = "the change feed is behind; retry"
