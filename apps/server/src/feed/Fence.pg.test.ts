import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { parseLsn } from "./offset.js"
import { useFeedServer } from "./test/feedFixture.js"
import { registerWorkspace } from "./test/feedServer.js"

/**
 * The fence an initial sync waits on (Feed.awaitStored) must reach the consumer on its own:
 * the walsender sends only flushed WAL, and here the WAL writer sleeps 10 s between flushes,
 * so a fence left for it to flush would not arrive within the 5 s asked for.
 */
describe("the feed's fence (real Postgres, WAL writer asleep)", () => {
  const f = useFeedServer({ wal_writer_delay: "10s" })

  it("[W3] is stored without waiting for the WAL writer, so an initial sync on an idle server is answered", async () => {
    const { srv, db } = f
    const { masterToken } = await registerWorkspace(srv.url, "Fence")
    // Precondition, not the subject: the consumer streams its slot. Creating the slot can
    // itself wait for a WAL flush (Postgres logs the running-transactions record it waits
    // for without flushing it when a transaction was running), so with the WAL writer
    // asleep the slot may appear seconds after the server starts.
    const deadline = Date.now() + 30_000
    while (srv.feed.consumer()?.status !== "streaming" && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50))
    expect(srv.feed.consumer()?.status).toBe("streaming")
    for (let round = 0; round < 3; round++) {
      const at = await db.query<{ lsn: string }>("select pg_current_wal_lsn()::text as lsn")
      expect(await Effect.runPromise(srv.feed.awaitStored(parseLsn(at.rows[0]!.lsn), 5_000))).toBe(true)
      // The product's path: a new shape's first page waits on the same fence.
      const res = await fetch(
        `${srv.url}/api/v1/shape?table=tasks&offset=-1&where=${encodeURIComponent(`title = 'r${round}'`)}`,
        { headers: { authorization: `Bearer ${masterToken}` } },
      )
      expect(res.status).toBe(200)
    }
  })
})
