/**
 * Child process: Hocuspocus with its documented defaults (debounce 2 s, maxDebounce 10 s) and
 * @hocuspocus/extension-database persisting the Yjs state to the benchmark's Postgres.
 * Args: port databaseUrl.
 */
import { Database } from "@hocuspocus/extension-database"
import { Server } from "@hocuspocus/server"
import pg from "pg"

const [port, databaseUrl] = process.argv.slice(2) as [string, string]
const pool = new pg.Pool({ connectionString: databaseUrl, max: 4 })
await pool.query("create table if not exists hocuspocus_documents (name text primary key, data bytea not null)")

const server = new Server({
  port: Number(port),
  address: "127.0.0.1",
  quiet: true,
  extensions: [
    new Database({
      fetch: async ({ documentName }) => {
        const r = await pool.query("select data from hocuspocus_documents where name = $1", [documentName])
        return r.rows[0] ? new Uint8Array(r.rows[0].data) : null
      },
      store: async ({ documentName, state }) => {
        await pool.query(
          "insert into hocuspocus_documents (name, data) values ($1, $2) on conflict (name) do update set data = excluded.data",
          [documentName, state],
        )
      },
    }),
  ],
})
await server.listen()
