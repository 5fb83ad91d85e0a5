import pg from "pg"
import { waitProjected } from "../projection/test/projectionKit.js"

/**
 * Makes the next `GET …/snapshot` of `ws` export one from the pool: waits until the projection
 * has caught up with the workspace (it stores snapshots of its own, S27), then deletes the
 * stored ones. For tests of what the export holds; a stored snapshot may lag the head.
 */
export const forgetStoredSnapshots = async (databaseUrl: string, ws: string): Promise<void> => {
  const db = new pg.Client({ connectionString: databaseUrl })
  await db.connect()
  try {
    await waitProjected(db, ws)
    await db.query("delete from doc_snapshots where workspace_id = $1", [ws])
  } finally {
    await db.end()
  }
}
