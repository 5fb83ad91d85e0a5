import { SqlClient, type Statement } from "@effect/sql"
import { type Collection, projectionTables, type ReadIssue } from "@vibestack/schema"
import { Effect } from "effect"
import { type ProjectedChanges, sqlText } from "../pool/ops/projectEntities.js"
import { readSnapshotTail } from "../store/snapshotTail.js"
import {
  assemblePieces,
  isPiece,
  type Nullable,
  newestSnapshotBlob,
  type PieceRow,
  piecesOf,
  updateBlobs,
} from "../store/storedBytes.js"
import { docKey } from "./Scheduler.js"

/**
 * Quarantine reasons carry their kind as a prefix: `import:` rows were skipped (the bytes never
 * entered the projection's copy, so reloads skip them too); `entities:` rows imported fine but
 * left unreadable entities, whose rows are absent until a later update repairs them.
 */
export const QuarantineKind = { import: "import: ", entities: "entities: " } as const

export interface DocState {
  readonly projectedSeq: number
  readonly snapshotSeq: number
}

export interface DocStatus {
  readonly workspaceId: string
  readonly docId: string
  readonly lastSeq: number
  readonly projectedSeq: number
  readonly lag: number
  readonly snapshotSeq: number
  readonly issues: number
  readonly quarantined: number
}

const buf = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength)

/** ` where …` / ` and …` for an optional guard condition. */
const clause = (word: "where" | "and", guard: string | undefined): string =>
  guard === undefined ? "" : ` ${word} ${guard}`

/**
 * `insert … select … on conflict do update` for one table, its rows the JSON text `$param` (an
 * array of rows in `columns` order, as the pool's `projectEntities` writes them: the server
 * passes the text through untouched), taken only where `guard` holds (when given).
 */
const upsertSql = (table: Collection, param = 1, guard?: string): string => {
  const def = projectionTables[table]
  const names = def.columns.map((c) => c.name)
  const values = def.columns.map((c, i) => `(r->>${i})::${c.type.replace(/\s+collate.*$/, "")}`)
  const set = names.filter((n) => !def.primaryKey.includes(n)).map((n) => `${n} = excluded.${n}`)
  return `insert into ${def.name} (${names.join(", ")})
          select * from (select ${values.join(", ")} from jsonb_array_elements($${param}::jsonb) as e(r)) as r(${names.join(", ")})${clause("where", guard)}
          on conflict (${def.primaryKey.join(", ")}) do update set ${set.join(", ")}`
}
/** Deletes a table's rows of workspace `$1` whose ids are the array `$ids`. */
const deleteSql = (table: Collection, ids: number, guard?: string): string =>
  `delete from ${projectionTables[table].name} where workspace_id = $1 and id = any($${ids}::text[])${clause("and", guard)}`
/** Quarantine rows of document `$1`/`$2`: seqs in `$seqs`, reasons in the parameter after it. */
const quarantineSql = (seqs: number, guard?: string): string =>
  `insert into projection_quarantine (workspace_id, doc_id, seq, reason)
   select $1, $2, * from unnest($${seqs}::bigint[], $${seqs + 1}::text[])${clause("where", guard)} on conflict do nothing`
/**
 * A batch's move of `projected_seq` from `$3` to `$4` (issues `+$5`, snapshot seq at least `$6`)
 * of document `$1`/`$2`, only where it is still `$3`: it takes the state row's lock, and returns
 * a row when it matched (the fence against a node that lost its lease and a concurrent rebuild).
 */
const STATE_MOVE = `update projection_state set projected_seq = $4, issues = issues + $5,
  snapshot_seq = greatest(snapshot_seq, $6), updated_at = now()
  where workspace_id = $1 and doc_id = $2 and projected_seq = $3 returning 1`
const UPSERTS = Object.fromEntries(
  (Object.keys(projectionTables) as Array<Collection>).map((t) => [t, upsertSql(t)]),
) as Record<Collection, string>

/** Several `upserts` chunks as one JSON array (one statement for many documents' rows). */
const joinChunks = (chunks: ReadonlyArray<string>): string => {
  const inner = chunks.map((c) => c.slice(1, -1)).filter((c) => c.length > 0)
  return `[${inner.join(",")}]`
}

const describeIssues = (issues: ReadonlyArray<ReadIssue>): string =>
  issues
    .slice(0, 20)
    .map((i) => `${i.collection}/${i.id}: ${i.message.split("\n")[0]}`)
    .join("; ")
    .slice(0, 2000)

/** One document's batch in `applyMany`. */
export interface GroupBatch {
  readonly ws: string
  readonly doc: string
  readonly fromSeq: number
  readonly toSeq: number
  readonly changes: ProjectedChanges
  readonly skipped: ReadonlyArray<{ readonly seq: number; readonly reason: string }>
}

/** Whether each table's rows of a batch fit one statement (`applyMany`; else it is applied alone). */
export const fitsOneStatement = (changes: ProjectedChanges): boolean =>
  changes.tables.every((t) => t.upserts.length <= 1)

/** A batch's quarantine rows: updates that did not import, and the batch's unreadable entities. */
const quarantineOf = (b: Pick<GroupBatch, "toSeq" | "changes" | "skipped">) => {
  const rows = b.skipped.map((s) => ({ seq: s.seq, reason: sqlText(`${QuarantineKind.import}${s.reason}`) }))
  if (b.changes.issues.length > 0)
    rows.push({ seq: b.toSeq, reason: sqlText(`${QuarantineKind.entities}${describeIssues(b.changes.issues)}`) })
  return rows
}

/** The projection's SQL: reads of the byte store and the transaction that applies one batch. */
export const makeProjectionStore = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient

  const state = (ws: string, doc: string) =>
    Effect.gen(function* () {
      const read = sql<DocState>`select projected_seq, snapshot_seq from projection_state
        where workspace_id = ${ws} and doc_id = ${doc}`
      const rows = yield* read
      if (rows[0] !== undefined) return rows[0]
      // Only a document's first batch writes here (not every batch: this is on the ack→row path).
      yield* sql`insert into projection_state (workspace_id, doc_id) values (${ws}, ${doc}) on conflict do nothing`
      return (yield* read)[0] ?? { projectedSeq: 0, snapshotSeq: 0 }
    })

  /**
   * The committed updates of document `ws`/`doc` after seq `after`, in seq order, at most
   * `limit` and about `maxBytes` (the first always, however large). `ws`, `doc` and `after` are
   * values, or columns of an outer query (`sql.literal`).
   */
  const logAfter = (
    ws: string | Statement.Fragment,
    doc: string | Statement.Fragment,
    after: number | Statement.Fragment,
    limit: number,
    maxBytes: number,
  ) => {
    // As base64 pieces (`storedBytes.ts`): a batch of up to 32 MB as hex blocked the event loop 0.8 s.
    const p = piecesOf(sql, "sized")
    return sql<PieceRow>`
      select ${p.columns} from (
        select seq, bytes, sum(octet_length(bytes)) over (order by seq) - octet_length(bytes) as before
        from (select seq, bytes from doc_updates where workspace_id = ${ws} and doc_id = ${doc} and seq > ${after}
              order by seq limit ${limit}) first
      ) sized cross join lateral ${p.series}
      where before = 0 or before < ${maxBytes} order by seq, piece_at`
  }

  /**
   * The state and, once the document has been projected (`projected_seq` > 0), the committed
   * updates after it (as `updatesAfter`), in one round trip: a batch on a quiet server is one
   * push, and each query costs it as much as the work. At 0 a batch may start from a stored
   * snapshot instead, so none are read. Undefined when the document has no state row yet
   * (`state` makes it).
   */
  const stateAndUpdates = (ws: string, doc: string, limit: number, maxBytes: number) =>
    Effect.map(
      sql<DocState & Nullable<PieceRow>>`
        select p.projected_seq, p.snapshot_seq, u.seq, u.size, u.base64 from projection_state p
        left join lateral (
          ${logAfter(sql.literal("p.workspace_id"), sql.literal("p.doc_id"), sql.literal("p.projected_seq"), limit, maxBytes)}
        ) u on p.projected_seq > 0
        where p.workspace_id = ${ws} and p.doc_id = ${doc} order by u.seq, u.piece_at`,
      (rows) => {
        const first = rows[0]
        if (first === undefined) return undefined
        const state: DocState = { projectedSeq: Number(first.projectedSeq), snapshotSeq: Number(first.snapshotSeq) }
        return { state, updates: assemblePieces(rows.filter(isPiece)) }
      },
    )

  /**
   * `stateAndUpdates` of many documents in one round trip (a group turn), by `docKey`.
   * Documents without a state row are absent.
   */
  const stateAndUpdatesMany = (
    docs: ReadonlyArray<{ readonly ws: string; readonly doc: string }>,
    limit: number,
    maxBytes: number,
  ) =>
    Effect.map(
      sql<DocState & { workspaceId: string; docId: string } & Nullable<PieceRow>>`
        select p.workspace_id, p.doc_id, p.projected_seq, p.snapshot_seq, u.seq, u.size, u.base64
        from unnest(${docs.map((d) => d.ws)}::text[], ${docs.map((d) => d.doc)}::text[]) as k(ws, doc)
        join projection_state p on p.workspace_id = k.ws and p.doc_id = k.doc
        left join lateral (
          ${logAfter(sql.literal("p.workspace_id"), sql.literal("p.doc_id"), sql.literal("p.projected_seq"), limit, maxBytes)}
        ) u on p.projected_seq > 0
        order by p.workspace_id, p.doc_id, u.seq, u.piece_at`,
      (rows) => {
        const out = new Map<string, { state: DocState; pieces: Array<PieceRow> }>()
        for (const r of rows) {
          const key = docKey(r.workspaceId, r.docId)
          let entry = out.get(key)
          if (entry === undefined)
            out.set(
              key,
              (entry = {
                state: { projectedSeq: Number(r.projectedSeq), snapshotSeq: Number(r.snapshotSeq) },
                pieces: [],
              }),
            )
          if (isPiece(r)) entry.pieces.push(r)
        }
        return new Map([...out].map(([key, e]) => [key, { state: e.state, updates: assemblePieces(e.pieces) }]))
      },
    )

  /** Committed updates after `after`, in seq order, at most `limit` and about `maxBytes`. */
  const updatesAfter = (ws: string, doc: string, after: number, limit: number, maxBytes: number) =>
    Effect.map(logAfter(ws, doc, after, limit, maxBytes), assemblePieces)

  /**
   * The newest stored snapshot of a document (the projection's or the push path's): a full
   * Loro snapshot covers every update up to its seq, so a replay from zero starts there.
   */
  const newestSnapshot = (ws: string, doc: string) => newestSnapshotBlob(sql, ws, doc)

  /**
   * What the projection's pool copy is built from: the state at `projected_seq` (newest
   * snapshot at or below it, the updates after it up to it, minus those quarantined as
   * unimportable). `snapshotSeq` is reported as `projected_seq` so the pool's copy says it
   * covers exactly the committed projection, even when trailing updates were skipped.
   */
  const loadAtProjected = (ws: string, doc: string) =>
    Effect.gen(function* () {
      const { projectedSeq } = yield* state(ws, doc)
      // In pieces (`storedBytes.ts`): a large document's blobs would block the event loop.
      const snapshot = yield* newestSnapshotBlob(sql, ws, doc, projectedSeq)
      const updates = yield* updateBlobs(sql, ws, doc, snapshot?.seq ?? 0, {
        upTo: projectedSeq,
        exceptQuarantined: QuarantineKind.import,
      })
      return { snapshot: snapshot?.bytes, snapshotSeq: projectedSeq, updates }
    })

  /**
   * Applies one batch: rows, quarantine, and `projected_seq` from `fromSeq` to `toSeq`,
   * atomically (one statement, or a transaction when a table's rows need several). `STATE_MOVE`
   * goes first and fences out a node that lost its lease mid-batch and a concurrent rebuild: it
   * then returns false, changing nothing.
   */
  const apply = (
    ws: string,
    doc: string,
    fromSeq: number,
    toSeq: number,
    changes: ProjectedChanges,
    skipped: ReadonlyArray<{ readonly seq: number; readonly reason: string }>,
    onStatement: Effect.Effect<void> = Effect.void,
    /** The batch started from a stored snapshot at this seq (recorded as the state's snapshot). */
    fromSnapshotSeq = 0,
  ) => {
    const quarantine = quarantineOf({ toSeq, changes, skipped })
    const state = [ws, doc, fromSeq, toSeq, changes.issues.length, fromSnapshotSeq]
    if (fitsOneStatement(changes)) return Effect.zipRight(onStatement, applyAsOne(state, changes, quarantine))
    return sql.withTransaction(
      Effect.gen(function* () {
        yield* onStatement
        if ((yield* sql.unsafe(STATE_MOVE, state)).length === 0) return false
        for (const t of changes.tables) {
          for (const chunk of t.upserts) {
            yield* onStatement
            yield* sql.unsafe(UPSERTS[t.table], [chunk])
          }
          if (t.deletes.length > 0) {
            yield* onStatement
            yield* sql.unsafe(deleteSql(t.table, 2), [ws, t.deletes.map(sqlText)])
          }
        }
        if (quarantine.length > 0) {
          yield* onStatement
          yield* sql.unsafe(quarantineSql(3), [ws, doc, quarantine.map((q) => q.seq), quarantine.map((q) => q.reason)])
        }
        yield* onStatement
        return true
      }),
    )
  }

  /**
   * `apply` as one statement (atomic on its own, one round trip where the transaction takes
   * several): `STATE_MOVE` first, and every other part writes only if it matched. Each table's
   * rows must fit one statement.
   */
  const applyAsOne = (
    state: ReadonlyArray<unknown>,
    changes: ProjectedChanges,
    quarantine: ReadonlyArray<{ readonly seq: number; readonly reason: string }>,
  ) => {
    const params: Array<unknown> = [...state]
    const guard = "exists (select 1 from st)"
    const parts = [`st as (${STATE_MOVE})`]
    for (const t of changes.tables) {
      if (t.upserts.length > 0) {
        params.push(t.upserts[0])
        parts.push(`u${parts.length} as (${upsertSql(t.table, params.length, guard)})`)
      }
      if (t.deletes.length > 0) {
        params.push(t.deletes.map(sqlText))
        parts.push(`d${parts.length} as (${deleteSql(t.table, params.length, guard)})`)
      }
    }
    if (quarantine.length > 0) {
      parts.push(`q as (${quarantineSql(params.length + 1, guard)})`)
      params.push(
        quarantine.map((q) => q.seq),
        quarantine.map((q) => q.reason),
      )
    }
    return Effect.map(
      sql.unsafe<{ n: number }>(`with ${parts.join(",\n")} select count(*)::int as n from st`, params as Array<never>),
      (rows) => Number(rows[0]?.n ?? 0) === 1,
    )
  }

  /**
   * Applies the batches of many documents, of distinct workspaces, as one statement (one
   * commit, and one transaction for the feed to read): per document `STATE_MOVE`'s fence, and
   * its rows and quarantine written only where its own move matched. Returns the `docKey`s
   * that moved; a document whose fence did not match changed nothing (its batch is redone).
   * Each table's rows of each document must fit one statement (`fitsOneStatement`).
   */
  const applyMany = (batches: ReadonlyArray<GroupBatch>) => {
    if (new Set(batches.map((b) => b.ws)).size !== batches.length)
      return Effect.dieMessage("applyMany takes one document per workspace")
    const params: Array<unknown> = []
    const param = (v: unknown) => `$${params.push(v)}`
    const moves = `select * from unnest(${param(batches.map((b) => b.ws))}::text[], ${param(batches.map((b) => b.doc))}::text[],
      ${param(batches.map((b) => b.fromSeq))}::int8[], ${param(batches.map((b) => b.toSeq))}::int8[],
      ${param(batches.map((b) => b.changes.issues.length))}::int8[]) as m(ws, doc, from_seq, to_seq, issues)`
    const parts = [
      `st as (update projection_state p set projected_seq = m.to_seq, issues = p.issues + m.issues, updated_at = now()
        from (${moves}) m where p.workspace_id = m.ws and p.doc_id = m.doc and p.projected_seq = m.from_seq
        returning p.workspace_id, p.doc_id)`,
    ]
    const moved = (column: string) => `${column} in (select workspace_id from st)`
    for (const table of Object.keys(projectionTables) as Array<Collection>) {
      const changes = batches.flatMap((b) => b.changes.tables.filter((t) => t.table === table))
      const upserts = changes.flatMap((t) => t.upserts)
      if (upserts.length > 0) {
        params.push(joinChunks(upserts))
        parts.push(`u${parts.length} as (${upsertSql(table, params.length, moved("r.workspace_id"))})`)
      }
      const deletes = batches.flatMap((b) =>
        b.changes.tables
          .filter((t) => t.table === table)
          .flatMap((t) => t.deletes.map((id) => [b.ws, sqlText(id)] as const)),
      )
      if (deletes.length > 0)
        parts.push(`d${parts.length} as (delete from ${projectionTables[table].name} t
          using unnest(${param(deletes.map((d) => d[0]))}::text[], ${param(deletes.map((d) => d[1]))}::text[]) as d(ws, id)
          where t.workspace_id = d.ws and t.id = d.id and ${moved("d.ws")})`)
    }
    const quarantine = batches.flatMap((b) => quarantineOf(b).map((q) => ({ ws: b.ws, doc: b.doc, ...q })))
    if (quarantine.length > 0)
      parts.push(`q as (insert into projection_quarantine (workspace_id, doc_id, seq, reason)
        select * from unnest(${param(quarantine.map((q) => q.ws))}::text[], ${param(quarantine.map((q) => q.doc))}::text[],
          ${param(quarantine.map((q) => q.seq))}::int8[], ${param(quarantine.map((q) => q.reason))}::text[]) as q(ws, doc, seq, reason)
        where ${moved("q.ws")} on conflict do nothing)`)
    return Effect.map(
      sql.unsafe<{ workspaceId: string; docId: string }>(
        `with ${parts.join(",\n")} select workspace_id, doc_id from st`,
        params as Array<never>,
      ),
      (rows) => new Set(rows.map((r) => docKey(r.workspaceId, r.docId))),
    )
  }

  const saveSnapshot = (ws: string, doc: string, seq: number, bytes: Uint8Array) =>
    sql.withTransaction(
      Effect.gen(function* () {
        yield* sql`insert into doc_snapshots (workspace_id, doc_id, seq, bytes)
          values (${ws}, ${doc}, ${seq}, ${buf(bytes)}) on conflict do nothing`
        yield* sql`update projection_state set snapshot_seq = greatest(snapshot_seq, ${seq})
          where workspace_id = ${ws} and doc_id = ${doc}`
      }),
    )

  /** Documents whose log is ahead of their projection, grouped by workspace. */
  const lagging = Effect.map(
    sql<{ workspaceId: string }>`select distinct d.workspace_id from docs d
      left join projection_state p on p.workspace_id = d.workspace_id and p.doc_id = d.doc_id
      where d.last_seq > coalesce(p.projected_seq, 0)`,
    (rows) => rows.map((r) => r.workspaceId),
  )

  const laggingDocs = (ws: string) =>
    Effect.map(
      sql<{ docId: string }>`select d.doc_id from docs d
        left join projection_state p on p.workspace_id = d.workspace_id and p.doc_id = d.doc_id
        where d.workspace_id = ${ws} and d.last_seq > coalesce(p.projected_seq, 0) order by d.doc_id`,
      (rows) => rows.map((r) => r.docId),
    )

  /** Every document whose log is ahead of its projection. */
  const laggingPairs = sql<{ workspaceId: string; docId: string }>`select d.workspace_id, d.doc_id from docs d
      left join projection_state p on p.workspace_id = d.workspace_id and p.doc_id = d.doc_id
      where d.last_seq > coalesce(p.projected_seq, 0)`

  /**
   * Per lagging workspace: updates not yet projected and the age of the oldest of them (the
   * first unprojected update's commit time), most behind first. Cheap: one primary-key
   * lookup per lagging document.
   */
  const lagByWorkspace = sql<{ workspaceId: string; lag: number; seconds: number }>`
      select d.workspace_id, sum(d.last_seq - coalesce(p.projected_seq, 0))::int8 as lag,
        coalesce(max(extract(epoch from now() - u.created_at)), 0)::float8 as seconds
      from docs d
      left join projection_state p on p.workspace_id = d.workspace_id and p.doc_id = d.doc_id
      left join doc_updates u on u.workspace_id = d.workspace_id and u.doc_id = d.doc_id
        and u.seq = coalesce(p.projected_seq, 0) + 1
      where d.last_seq > coalesce(p.projected_seq, 0)
      group by d.workspace_id
      order by seconds desc, lag desc`

  /** Bytes a load of the document's state reads: its newest snapshot and the log after it. */
  const weight = (ws: string, doc: string) =>
    Effect.map(
      sql<{ bytes: number }>`
        with s as (select seq, octet_length(bytes) as n from doc_snapshots
                   where workspace_id = ${ws} and doc_id = ${doc} order by seq desc limit 1)
        select (coalesce((select n from s), 0) + coalesce((select sum(octet_length(bytes)) from doc_updates
                 where workspace_id = ${ws} and doc_id = ${doc} and seq > coalesce((select seq from s), 0)), 0))::int8 as bytes`,
      (rows) => Number(rows[0]?.bytes ?? 0),
    )

  const totalLag = Effect.map(
    sql<{ lag: number }>`select coalesce(sum(d.last_seq - coalesce(p.projected_seq, 0)), 0)::int8 as lag from docs d
      left join projection_state p on p.workspace_id = d.workspace_id and p.doc_id = d.doc_id`,
    (rows) => rows[0]?.lag ?? 0,
  )

  const status = (ws?: string) =>
    sql<DocStatus>`select d.workspace_id, d.doc_id, d.last_seq, coalesce(p.projected_seq, 0)::int8 as projected_seq,
        (d.last_seq - coalesce(p.projected_seq, 0))::int8 as lag, coalesce(p.snapshot_seq, 0)::int8 as snapshot_seq,
        coalesce(p.issues, 0) as issues,
        (select count(*) from projection_quarantine q where q.workspace_id = d.workspace_id
          and q.doc_id = d.doc_id)::int8 as quarantined
      from docs d left join projection_state p on p.workspace_id = d.workspace_id and p.doc_id = d.doc_id
      ${ws === undefined ? sql`` : sql`where d.workspace_id = ${ws}`}
      order by d.workspace_id, d.doc_id`

  /** Forgets a workspace's projection (rows, quarantine, progress) so it replays from zero. */
  const reset = (ws: string) =>
    sql.withTransaction(
      Effect.gen(function* () {
        // Taking the state rows' locks first waits out an in-flight batch of another node.
        yield* sql`select 1 from projection_state where workspace_id = ${ws} for update`
        for (const t of Object.values(projectionTables))
          yield* sql.unsafe(`delete from ${t.name} where workspace_id = $1`, [ws])
        yield* sql`delete from projection_quarantine where workspace_id = ${ws}`
        yield* sql`update projection_state set projected_seq = 0, snapshot_seq = 0, issues = 0, updated_at = now()
          where workspace_id = ${ws}`
      }),
    )

  const workspaces = Effect.map(sql<{ id: string }>`select id from workspaces order by id`, (r) => r.map((x) => x.id))

  return {
    state,
    stateAndUpdates,
    stateAndUpdatesMany,
    updatesAfter,
    newestSnapshot,
    /** The newest stored snapshot's seq and size, and the log after it (`snapshotTail.ts`). */
    snapshotTail: (ws: string, doc: string) => readSnapshotTail(sql, ws, doc),
    loadAtProjected,
    apply,
    applyMany,
    saveSnapshot,
    lagging,
    laggingDocs,
    laggingPairs,
    lagByWorkspace,
    weight,
    totalLag,
    status,
    reset,
    workspaces,
  }
})

export type ProjectionStore = Effect.Effect.Success<typeof makeProjectionStore>
