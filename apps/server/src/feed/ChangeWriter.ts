import { Readable } from "node:stream"
import { pipeline } from "node:stream/promises"
import { setImmediate as nextTurn } from "node:timers/promises"
import pg from "pg"
import { from as copyFrom } from "pg-copy-streams"
import { type ChangeGroup, COPY_COLUMNS, copyChunks, encodeGroupsJson, GroupBuilder } from "./changeGroups.js"

export interface PendingChange {
  readonly tbl: string
  readonly ws: string
  readonly id: string
  readonly op: "i" | "u" | "d" | "t"
  /** JSON object of text values: the new row (i, u) or the key (d). */
  readonly value: string
  /** JSON: the changed columns' old values (u) or the whole old row (d); null if unknown. */
  readonly old: string | null
}

/** A received transaction (or, with no changes, a fence or keepalive position). */
export interface PendingTx {
  readonly xid: number
  readonly lsn: number
  readonly endLsn: number
  readonly at: Date
  readonly changes: Array<PendingChange>
}

export interface WriterHooks {
  /** Everything below `lsn` is committed in change_log: the slot may confirm it. */
  readonly onStored: (lsn: number) => void
  readonly onFailed: (error: unknown) => void
  readonly onDrained: () => void
}

const LOCK = "74617, 1"
const BATCH_CHANGES = 20_000
/**
 * Batches of at least this many changes are written by COPY (no JSON to parse, no ON
 * CONFLICT check per row; bench/feed-log-write.ts); smaller ones by the single statement
 * below, one round trip instead of three.
 */
const COPY_FROM = 100

/**
 * One statement per batch below COPY_FROM changes (and a COPY's fallback): the groups as
 * one JSON parameter (node-pg escapes array parameters character by character), the
 * stored position and the NOTIFY.
 */
const INSERT = `
with ins as (
  insert into change_groups (${COPY_COLUMNS})
  select l, p, q, n, x, t, w, c, g
  from json_to_recordset($1::json) as r(l int8, p int4, q int4, n int4, x int8, t text, w text, c timestamptz, g text)
  on conflict (lsn, pos) do nothing
  returning n
), st as (
  update feed_state set stored_lsn = greatest(stored_lsn, $2), updated_at = now() where id = 1 returning stored_lsn
)
select pg_notify('vibestack_feed', $3) as notified, (select coalesce(sum(n), 0) from ins)::int as inserted`

/**
 * Changes grouped per turn of the event loop: a transaction of 100,000 rows is grouped in
 * slices, with the server's other work (pushes, acknowledgements, live frames) in between.
 */
export const GROUP_SLICE = 2_000

const COPY = `copy change_groups (${COPY_COLUMNS}) from stdin with (format binary)`

/** Longer NOTIFY payloads name no shapes: every long-poll re-checks. */
const MAX_TOUCHED = 6000

/**
 * The consumer's own Postgres session: it holds the feed's advisory lock (so a dead node
 * releases it with its connection) and group-commits received transactions into
 * change_log, stored as change_groups (changeGroups.ts). Redelivered transactions hit the
 * groups' (lsn, pos) key and are dropped (rule W2); the
 * insert, the stored position and the NOTIFY to every node commit as one statement.
 */
export class ChangeWriter {
  storedLsn = 0
  inserted = 0
  private client: pg.Client | undefined
  private locked = false
  private pending: Array<PendingTx> = []
  private pendingChanges = 0
  private flushing = false
  private generation = 0

  constructor(
    private readonly connectionString: string,
    private readonly hooks: WriterHooks,
  ) {}

  async holdLock(): Promise<boolean> {
    if (this.locked && this.client) return true
    if (!this.client) {
      const client = new pg.Client({ connectionString: this.connectionString, application_name: "vibestack-feed" })
      client.on("error", () => this.lost(client))
      await client.connect()
      this.client = client
    }
    const r = await this.client.query<{ ok: boolean }>(`select pg_try_advisory_lock(${LOCK}) as ok`)
    this.locked = r.rows[0]?.ok === true
    if (this.locked) {
      const s = await this.client.query<{ stored: string }>("select stored_lsn as stored from feed_state where id = 1")
      this.storedLsn = Number(s.rows[0]?.stored ?? 0)
    }
    return this.locked
  }

  query<R extends pg.QueryResultRow>(text: string, values?: ReadonlyArray<unknown>): Promise<pg.QueryResult<R>> {
    if (!this.client || !this.locked) return Promise.reject(new Error("feed lock not held"))
    return this.client.query<R>(text, values as Array<unknown>)
  }

  enqueue(tx: PendingTx): number {
    this.pending.push(tx)
    this.pendingChanges += tx.changes.length
    void this.flush()
    return this.pendingChanges
  }

  idle(): boolean {
    return this.pending.length === 0 && !this.flushing
  }

  /** After a stream failure: the slot redelivers everything not confirmed. */
  discardPending(): void {
    this.generation++
    this.pending = []
    this.pendingChanges = 0
  }

  async close(): Promise<void> {
    const c = this.client
    this.client = undefined
    this.locked = false
    // Ending the lock's session (stop, or a failure already reported): its error says nothing new.
    await c?.end().catch(() => {})
  }

  private lost(client: pg.Client): void {
    if (this.client !== client) return
    this.client = undefined
    this.locked = false
    this.hooks.onFailed("feed lock session lost")
  }

  private async insert(groups: ReadonlyArray<ChangeGroup>, stored: number, payload: string): Promise<number> {
    const r = await this.query<{ inserted: number }>(INSERT, [encodeGroupsJson(groups), stored, payload])
    return r.rows[0]?.inserted ?? 0
  }

  /**
   * The batch by COPY, then the stored position and the NOTIFY, in one transaction. COPY
   * has no ON CONFLICT: should a row be there already after all (the key is the last
   * word on W2), the batch goes again through the statement that skips it.
   */
  private async copy(groups: ReadonlyArray<ChangeGroup>, stored: number, payload: string): Promise<number> {
    const client = this.client
    if (!client || !this.locked) throw new Error("feed lock not held")
    await client.query("begin")
    try {
      const stream = client.query(copyFrom(COPY))
      await pipeline(Readable.from(copyChunks(groups)), stream)
      await client.query(
        `update feed_state set stored_lsn = greatest(stored_lsn, ${Math.trunc(stored)}), updated_at = now() where id = 1;
         select pg_notify('vibestack_feed', ${client.escapeLiteral(payload)});
         commit`,
      )
      return groups.reduce((n, g) => n + g.n, 0)
    } catch (e) {
      // `e` is what matters; a rollback that fails too means the session is gone (`lost` reports it).
      await client.query("rollback").catch(() => {})
      if ((e as { code?: unknown }).code === "23505") return this.insert(groups, stored, payload)
      throw e
    }
  }

  /** Not a fiber: driven by the consumer's plain-promise loop (see WalConsumer.start); failures go to `onFailed`. */
  private async flush(): Promise<void> {
    if (this.flushing) return
    this.flushing = true
    const generation = this.generation
    try {
      while (this.pending.length > 0 && generation === this.generation) {
        let n = 0
        let take = 0
        while (take < this.pending.length && (take === 0 || n + this.pending[take]!.changes.length <= BATCH_CHANGES))
          n += this.pending[take++]!.changes.length
        let stored = this.storedLsn
        // Everything below storedLsn is in change_log already (batches commit in commit
        // order, with the position they reach): what the slot redelivers is left out here.
        const batch = this.pending.slice(0, take).filter((tx) => tx.endLsn > this.storedLsn)
        let rows = 0
        for (const tx of batch) {
          stored = Math.max(stored, tx.endLsn)
          rows += tx.changes.length
        }
        const groups = await groupsInSlices(batch)
        if (generation !== this.generation) return
        // A group is one (table, workspace): the shapes this batch touched.
        const touched = new Set(groups.map((g) => (/[,|*]/.test(g.ws) ? "*" : `${g.tbl}:${g.ws}`)))
        const names = [...touched].join(",")
        const payload = `${stored}|${names.length > MAX_TOUCHED || names.includes("*") ? "*" : names}`
        // Nothing past the stored position (a redelivery, an old fence): nothing to write.
        const inserted =
          batch.length === 0
            ? 0
            : rows >= COPY_FROM
              ? await this.copy(groups, stored, payload)
              : await this.insert(groups, stored, payload)
        if (generation !== this.generation) return
        this.inserted += inserted
        this.pending.splice(0, take)
        this.pendingChanges -= n
        this.storedLsn = stored
        this.hooks.onStored(stored)
      }
      this.hooks.onDrained()
    } catch (e) {
      if (generation === this.generation) this.hooks.onFailed(e)
    } finally {
      this.flushing = false
    }
  }
}

/** The batch's groups (`groupsOf` of each transaction), at most `GROUP_SLICE` changes a turn. */
const groupsInSlices = async (batch: ReadonlyArray<PendingTx>): Promise<Array<ChangeGroup>> => {
  const groups: Array<ChangeGroup> = []
  let budget = GROUP_SLICE
  for (const tx of batch) {
    const builder = new GroupBuilder(tx)
    for (let left = tx.changes.length; left > 0; ) {
      if (budget === 0) {
        await nextTurn()
        budget = GROUP_SLICE
      }
      const n = Math.min(left, budget)
      builder.add(n)
      left -= n
      budget -= n
    }
    for (const g of builder.finish()) groups.push(g)
  }
  return groups
}
