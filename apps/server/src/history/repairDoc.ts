import { SqlClient } from "@effect/sql"
import type { DocId, WorkspaceId } from "@vibestack/schema"
import { apiError } from "@vibestack/shared"
import { Clock, Effect } from "effect"
import { Channel } from "../bus/Bus.js"
import { Projector } from "../projection/Projector.js"
import { DocumentCheck } from "../revert/DocumentCheck.js"
import { EMPTY_UPDATE } from "./emptyUpdate.js"
import { findBreakingEntries } from "./findBreakingEntries.js"

export const REPAIR_CLIENT = "vibestack:repair"

export interface RepairReport {
  readonly workspaceId: WorkspaceId
  readonly docId: DocId
  readonly dryRun: boolean
  /** Log entries examined (up to the head read at the start) and whole-document checks run. */
  readonly entries: number
  readonly checks: number
  /** What was (or, with dryRun, would be) taken out, oldest first. */
  readonly quarantined: ReadonlyArray<{ readonly seq: number; readonly size: number; readonly reason: string }>
  /** Stored snapshots at or after the first quarantined seq: built with a bad entry, deleted. */
  readonly snapshotsDeleted: ReadonlyArray<number>
  /** The empty entry appended so that every server's cached copy reloads (S12); null if nothing changed. */
  readonly markerSeq: number | null
  readonly projectionRebuilt: boolean
}

const buf = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength)

/**
 * `vibestack doc repair` (S24): finds the log entries that break a document (findBreakingEntries,
 * each check the whole-document check in the pool) and quarantines them in one transaction:
 * original bytes into `quarantined_updates`, the entry's bytes replaced by an empty update (seqs
 * and cursors stay valid), snapshots built with them deleted, one empty entry appended so every
 * node's copy is behind the head and reloads without them. Then the workspace's projection is
 * rebuilt. Clients that already hold the bad ops keep them; new devices and the server do not.
 */
export const repairDoc = Effect.fn("repairDoc")(function* (
  ws: WorkspaceId,
  doc: DocId,
  options: { readonly dryRun: boolean },
) {
  const sql = yield* SqlClient.SqlClient
  const documents = yield* DocumentCheck
  const projector = yield* Projector
  const docRow = (lock: boolean) =>
    Effect.map(
      sql<{ lastSeq: number }>`select last_seq from docs where workspace_id = ${ws} and doc_id = ${doc}
        ${lock ? sql`for update` : sql``}`,
      (rows) => (rows[0] === undefined ? undefined : Number(rows[0].lastSeq)),
    )
  const head = yield* docRow(false)
  if (head === undefined) return yield* Effect.fail(apiError("NotFound", `no document ${doc} in workspace ${ws}`))
  const log = yield* sql<{ seq: number; bytes: Uint8Array }>`
    select seq, bytes from doc_updates where workspace_id = ${ws} and doc_id = ${doc} and seq <= ${head} order by seq`
  const found = yield* findBreakingEntries(
    log.map((r) => r.bytes),
    EMPTY_UPDATE,
    (updates) => documents.verdict({ updates }),
  )
  const quarantined = found.breaking.map((b) => ({
    seq: Number(log[b.index]!.seq),
    size: log[b.index]!.bytes.length,
    reason: b.reason,
  }))
  const firstBad = quarantined[0]?.seq
  const snapshots =
    firstBad === undefined
      ? []
      : (yield* sql<{ seq: number }>`select seq from doc_snapshots
          where workspace_id = ${ws} and doc_id = ${doc} and seq >= ${firstBad} order by seq`).map((r) => Number(r.seq))
  const report = {
    workspaceId: ws,
    docId: doc,
    dryRun: options.dryRun,
    entries: log.length,
    checks: found.checks,
    quarantined,
    snapshotsDeleted: snapshots,
  }
  if (options.dryRun || firstBad === undefined) return { ...report, markerSeq: null, projectionRebuilt: false }

  const seqs = quarantined.map((q) => q.seq)
  const markerSeq = head + 1
  yield* sql.withTransaction(
    Effect.gen(function* () {
      // Under the document's row lock: no push commits meanwhile, and none came since the check.
      const now = yield* docRow(true)
      if (now !== head)
        return yield* Effect.fail(
          apiError(
            "Conflict",
            `document ${doc} changed while it was checked (seq ${head} → ${now}); run the repair again`,
          ),
        )
      yield* sql.unsafe(
        `insert into quarantined_updates (workspace_id, doc_id, seq, bytes, reason)
         select u.workspace_id, u.doc_id, u.seq, u.bytes, q.reason
         from doc_updates u join unnest($3::bigint[], $4::text[]) as q(seq, reason) on u.seq = q.seq
         where u.workspace_id = $1 and u.doc_id = $2 on conflict do nothing`,
        [ws, doc, seqs, quarantined.map((q) => q.reason)],
      )
      yield* sql.unsafe(
        "update doc_updates set bytes = $3 where workspace_id = $1 and doc_id = $2 and seq = any($4::bigint[])",
        [ws, doc, buf(EMPTY_UPDATE), seqs],
      )
      yield* sql`delete from doc_snapshots where workspace_id = ${ws} and doc_id = ${doc} and seq >= ${firstBad}`
      yield* sql`insert into doc_updates (workspace_id, doc_id, seq, bytes, client_id)
        values (${ws}, ${doc}, ${markerSeq}, ${buf(EMPTY_UPDATE)}, ${REPAIR_CLIENT})`
      yield* sql`update docs set last_seq = ${markerSeq} where workspace_id = ${ws} and doc_id = ${doc}`
      const signal = JSON.stringify({ ws, doc, seq: markerSeq, t: yield* Clock.currentTimeMillis })
      yield* sql`select pg_notify(${Channel.updates}, ${signal})`
      // Every server drops its pool copy of the document: it holds the quarantined ops.
      yield* sql`select pg_notify(${Channel.docs}, ${JSON.stringify({ ws, doc })})`
    }),
  )
  yield* projector.rebuild(ws)
  return { ...report, markerSeq, projectionRebuilt: true }
})

/** The report as lines for a terminal. */
export const describeRepair = (r: RepairReport): string => {
  const head = `document ${r.docId} of workspace ${r.workspaceId}: ${r.entries} log entries, ${r.checks} whole-document checks`
  if (r.quarantined.length === 0) return `${head}\nhealthy: nothing to repair`
  const lines = [
    head,
    `${r.dryRun ? "would quarantine" : "quarantined"} ${r.quarantined.length} entr${r.quarantined.length === 1 ? "y" : "ies"} (original bytes kept in quarantined_updates):`,
    ...r.quarantined.map((q) => `  seq ${q.seq}  ${q.size} bytes  ${q.reason}`),
  ]
  if (r.snapshotsDeleted.length > 0)
    lines.push(`${r.dryRun ? "would delete" : "deleted"} stored snapshots at seq ${r.snapshotsDeleted.join(", ")}`)
  if (r.dryRun) lines.push("dry run: nothing was changed")
  else
    lines.push(
      `appended an empty entry (seq ${r.markerSeq}) so every server reloads the document; projection of ${r.workspaceId} rebuilt`,
    )
  return lines.join("\n")
}
