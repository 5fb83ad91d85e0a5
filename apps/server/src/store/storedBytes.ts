import type { SqlClient } from "@effect/sql"
import { Effect } from "effect"

/**
 * Reading large stored documents without stalling the server. Postgres sends a bytea as hex
 * text, and the driver turns it into bytes in one synchronous step once the whole row is in: a
 * string twice the value's size, then the decode. For a 100,000-task document (a 24 MB snapshot)
 * that step blocked the event loop ~0.12 s on a quiet server and 0.8 s while a backup was being
 * imported (`bench/large-workspace.ts`), and every push, acknowledgement and live frame of every
 * other workspace waited that long.
 *
 * So the blobs a document copy is built from are read as base64 pieces of at most `PIECE`
 * bytes, one row per piece in one statement (one consistent read, no extra round trip): the
 * driver parses each row as it arrives, a few milliseconds each, and the whole read is faster
 * too (a 13 MB snapshot in 125-142 ms against 305-360 ms as hex, measured side by side).
 * Slicing is cheap because Loro's blobs are stored uncompressed (pglz declines them), so
 * `substring` fetches only the TOAST chunks it needs.
 */
export const PIECE = 1024 * 1024

export interface StoredBlob {
  readonly seq: number
  readonly bytes: Uint8Array
}

/** One row per piece of each blob, in seq then offset order (`piecesOf`'s columns). */
export interface PieceRow {
  readonly seq: number
  /** The whole blob's size. */
  readonly size: number
  readonly base64: string
}

export type Nullable<T> = { readonly [K in keyof T]: T[K] | null }
/** A left join's row that holds a piece (one whose outer row had nothing to read has none). */
export const isPiece = <R extends Nullable<PieceRow>>(r: R): r is R & PieceRow => r.seq !== null && r.base64 !== null

/**
 * The pieces as `StoredBlob`s, in the rows' order. Throws when a blob's pieces do not add up to
 * its size (a query that forgot its order, never the data).
 */
export const assemblePieces = (rows: ReadonlyArray<PieceRow>): Array<StoredBlob> => {
  const out: Array<StoredBlob> = []
  let current: { seq: number; bytes: Uint8Array; filled: number } | undefined
  const finish = () => {
    if (current === undefined) return
    if (current.filled !== current.bytes.length)
      throw new Error(`stored blob ${current.seq}: pieces hold ${current.filled} of ${current.bytes.length} bytes`)
    out.push({ seq: current.seq, bytes: current.bytes })
    current = undefined
  }
  for (const row of rows) {
    const seq = Number(row.seq)
    if (current?.seq !== seq) {
      finish()
      current = { seq, bytes: new Uint8Array(Number(row.size)), filled: 0 }
    }
    const piece = Buffer.from(row.base64, "base64")
    if (current.filled + piece.length > current.bytes.length)
      throw new Error(`stored blob ${seq}: pieces hold more than its ${current.bytes.length} bytes`)
    current.bytes.set(piece, current.filled)
    current.filled += piece.length
  }
  finish()
  return out
}

/**
 * The `seq` and `bytes` of the rows of `alias` as base64 pieces: the select list (`PieceRow`'s
 * columns and `piece_at`, the piece's offset, to order by) and the lateral series to join.
 */
export const piecesOf = (sql: SqlClient.SqlClient, alias: string) => ({
  columns: sql.literal(
    `${alias}.seq, octet_length(${alias}.bytes) as size, piece.at as piece_at, encode(substring(${alias}.bytes from piece.at for ${PIECE}), 'base64') as base64`,
  ),
  // An empty blob still gets its one (empty) piece.
  series: sql.literal(`generate_series(1, greatest(octet_length(${alias}.bytes), 1), ${PIECE}) as piece(at)`),
})

/**
 * The newest stored snapshot of a document, at or below `atMost` when given, in pieces
 * (undefined when there is none).
 */
export const newestSnapshotBlob = (sql: SqlClient.SqlClient, ws: string, doc: string, atMost?: number) => {
  const p = piecesOf(sql, "s")
  return Effect.map(
    sql<PieceRow>`
      select ${p.columns}
      from (select seq, bytes from doc_snapshots
            where workspace_id = ${ws} and doc_id = ${doc}${atMost === undefined ? sql`` : sql` and seq <= ${atMost}`}
            order by seq desc limit 1) s
      cross join lateral ${p.series}
      order by piece.at`,
    (rows) => assemblePieces(rows)[0],
  )
}

/**
 * The committed updates of a document with `after` < seq (≤ `upTo` when given), in seq order,
 * in pieces. `exceptQuarantined` leaves out the updates quarantined with a reason starting so
 * (the projection's unimportable ones).
 */
export const updateBlobs = (
  sql: SqlClient.SqlClient,
  ws: string,
  doc: string,
  after: number,
  options: { readonly upTo?: number; readonly exceptQuarantined?: string } = {},
) => {
  const p = piecesOf(sql, "u")
  const { upTo, exceptQuarantined } = options
  return Effect.map(
    sql<PieceRow>`
      select ${p.columns}
      from doc_updates u
      cross join lateral ${p.series}
      where u.workspace_id = ${ws} and u.doc_id = ${doc} and u.seq > ${after}${upTo === undefined ? sql`` : sql` and u.seq <= ${upTo}`}${
        exceptQuarantined === undefined
          ? sql``
          : sql` and not exists (select 1 from projection_quarantine q where q.workspace_id = u.workspace_id
              and q.doc_id = u.doc_id and q.seq = u.seq and q.reason like ${`${exceptQuarantined}%`})`
      }
      order by u.seq, piece.at`,
    assemblePieces,
  )
}
