import type { SqlClient } from "@effect/sql"
import { Effect } from "effect"

/**
 * When a stored snapshot may be served to a new device as is. The device pulls the log after it
 * (the tail), a few pages of small updates; the alternative is an O(document) export on the
 * request path (a 100,000-task document: its load and export took ~2 s for the first device
 * after a bulk import). So a snapshot stays servable while its tail is small beside it: at most
 * `SNAPSHOT_TAIL_UPDATES` updates, and at most a quarter of the snapshot's size in bytes (or
 * `TAIL_MIN_BYTES`, for small documents).
 *
 * The projection stores a new snapshot once the tail has used half of that (`snapshotDue`), so
 * once it has caught up, a new device is served a stored snapshot; the request path exports
 * only when the projection is behind (and then stores what it exported).
 */
export const SNAPSHOT_TAIL_UPDATES = 1_000
const TAIL_MIN_BYTES = 256 * 1024

/** The newest stored snapshot of a document (its seq and size) and the log after it. */
export interface SnapshotTail {
  /** The document's head (0 for a document with nothing stored). */
  readonly head: number
  /** Undefined when no snapshot is stored; then the tail is not read (it would be the whole log). */
  readonly snapshotSeq: number | undefined
  readonly snapshotSize: number
  readonly tailUpdates: number
  readonly tailBytes: number
}

const within = (t: SnapshotTail, share: number): boolean =>
  t.snapshotSeq !== undefined &&
  t.snapshotSeq <= t.head &&
  t.tailUpdates <= SNAPSHOT_TAIL_UPDATES * share &&
  t.tailBytes <= Math.max(TAIL_MIN_BYTES, t.snapshotSize / 4) * share

/** The newest stored snapshot may be served as is (the device pulls the tail). */
export const snapshotServable = (t: SnapshotTail): boolean => within(t, 1)

/** A new snapshot should be stored: none is, or its tail has used half of what it may. */
export const snapshotDue = (t: SnapshotTail): boolean => t.head > 0 && !within(t, 0.5)

/**
 * One round trip, no bytes read: sizes come from the values' headers (`octet_length` does not
 * fetch a TOASTed value). Undefined for a document the store does not know.
 */
export const readSnapshotTail = (sql: SqlClient.SqlClient, ws: string, doc: string) =>
  Effect.map(
    sql<{
      head: number
      snapshotSeq: number | null
      snapshotSize: number | null
      tailUpdates: number | null
      tailBytes: number | null
    }>`
      select d.last_seq as head, s.seq as snapshot_seq, octet_length(s.bytes) as snapshot_size,
        t.updates as tail_updates, t.bytes as tail_bytes
      from docs d
      left join lateral (
        select seq, bytes from doc_snapshots
        where workspace_id = d.workspace_id and doc_id = d.doc_id order by seq desc limit 1
      ) s on true
      left join lateral (
        select count(*)::int as updates, coalesce(sum(octet_length(bytes)), 0)::float8 as bytes
        from doc_updates
        where workspace_id = d.workspace_id and doc_id = d.doc_id and s.seq is not null and seq > s.seq
      ) t on true
      where d.workspace_id = ${ws} and d.doc_id = ${doc}`,
    (rows): SnapshotTail | undefined => {
      const r = rows[0]
      if (r === undefined) return undefined
      return {
        head: Number(r.head),
        snapshotSeq: r.snapshotSeq === null ? undefined : Number(r.snapshotSeq),
        snapshotSize: r.snapshotSize ?? 0,
        tailUpdates: r.tailUpdates ?? 0,
        tailBytes: r.tailBytes ?? 0,
      }
    },
  )
