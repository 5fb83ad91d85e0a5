import { readFileSync } from "node:fs"
import pg from "pg"

/**
 * The poisoning update of #13.2 (see fixtures/README.md): imports, reads and exports fine,
 * but a fresh load of the document's snapshot panics. Never import it on a test's own thread
 * unless the test runs in a child process: a panic poisons the WebAssembly instance.
 */
export const poisoningUpdate = (): Uint8Array =>
  new Uint8Array(readFileSync(new URL("./fixtures/poisoning-update-seed-17819.bin", import.meta.url)))

/**
 * Appends bytes to a document's log straight in SQL, as a bug, an older server or an operator's
 * mistake could have: the push path never sees them. Returns the new entry's seq.
 */
export const storeBehindPushPath = async (
  databaseUrl: string,
  ws: string,
  doc: string,
  bytes: Uint8Array,
): Promise<number> => {
  const c = new pg.Client({ connectionString: databaseUrl })
  await c.connect()
  try {
    await c.query("begin")
    await c.query("insert into docs (workspace_id, doc_id) values ($1, $2) on conflict do nothing", [ws, doc])
    const { rows } = await c.query(
      "update docs set last_seq = last_seq + 1 where workspace_id = $1 and doc_id = $2 returning last_seq",
      [ws, doc],
    )
    const seq = Number(rows[0].last_seq)
    await c.query(
      "insert into doc_updates (workspace_id, doc_id, seq, bytes, client_id) values ($1, $2, $3, $4, 'behind-the-push-path')",
      [ws, doc, seq, Buffer.from(bytes)],
    )
    await c.query("commit")
    return seq
  } finally {
    await c.end()
  }
}

/** One query against the test database. */
export const query = async <R = any>(databaseUrl: string, text: string, values: Array<unknown> = []) => {
  const c = new pg.Client({ connectionString: databaseUrl })
  await c.connect()
  try {
    return (await c.query(text, values)).rows as Array<R>
  } finally {
    await c.end()
  }
}
