import { query } from "./poisoning.js"

/**
 * Makes the next `GET …/snapshot` of `ws` export one from the pool: waits until the projection
 * has caught up with the workspace (it stores snapshots of its own, S27), then deletes the
 * stored ones. For tests of what the export holds; a stored snapshot may lag the head.
 */
export const forgetStoredSnapshots = async (databaseUrl: string, ws: string, deadlineMs = 60_000): Promise<void> => {
  const until = Date.now() + deadlineMs
  for (;;) {
    const [lag] = await query<{ n: number }>(
      databaseUrl,
      `select count(*)::int as n from docs d left join projection_state p using (workspace_id, doc_id)
       where d.workspace_id = $1 and d.last_seq > coalesce(p.projected_seq, 0)`,
      [ws],
    )
    if (lag?.n === 0) break
    if (Date.now() > until) throw new Error(`workspace ${ws} was not projected within ${deadlineMs} ms`)
    await new Promise((r) => setTimeout(r, 50))
  }
  await query(databaseUrl, "delete from doc_snapshots where workspace_id = $1", [ws])
}
