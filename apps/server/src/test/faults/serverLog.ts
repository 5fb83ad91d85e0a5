import pg from "pg"
import { hashBytes } from "./AuditTransport.js"

export interface LogRow {
  readonly seq: number
  readonly key: string | null
  readonly hash: string
  readonly bytes: Uint8Array
}

/**
 * The server's log of one document, read straight from `doc_updates` (not through the API
 * under test), so a bug in the pull path cannot hide a loss.
 */
export const readServerLog = async (databaseUrl: string, ws: string, doc = "main"): Promise<Array<LogRow>> => {
  const c = new pg.Client({ connectionString: databaseUrl })
  await c.connect()
  try {
    const r = await c.query<{ seq: string; idempotency_key: string | null; bytes: Buffer }>(
      "select seq, idempotency_key, bytes from doc_updates where workspace_id = $1 and doc_id = $2 order by seq",
      [ws, doc],
    )
    return r.rows.map((row) => {
      const bytes = new Uint8Array(row.bytes)
      return { seq: Number(row.seq), key: row.idempotency_key, hash: hashBytes(bytes), bytes }
    })
  } finally {
    await c.end()
  }
}

/** Rows per workspace, as a fingerprint to prove rejected requests changed nothing (I7). */
export const storeFingerprint = async (databaseUrl: string): Promise<string> => {
  const c = new pg.Client({ connectionString: databaseUrl })
  await c.connect()
  try {
    const r = await c.query(
      "select workspace_id, doc_id, count(*)::int as n, max(seq)::text as head from doc_updates group by 1, 2 order by 1, 2",
    )
    return JSON.stringify(r.rows)
  } finally {
    await c.end()
  }
}
