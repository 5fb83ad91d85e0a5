import { describe, expect, it } from "vitest"
import { useFeedServer } from "./test/feedFixture.js"
import { insertTask, mintToken, registerWorkspace } from "./test/feedServer.js"

/**
 * Issue #13 finding 3: with small pages, workspace B's token presented workspace A's
 * handle and got A's held snapshot page. Handles and held pages are bound to the
 * workspace, role and shape that created them (rule W8).
 */
describe("shape handles belong to their creator", () => {
  const f = useFeedServer(undefined, { VIBESTACK_FEED_PAGE_BYTES: "2000" })
  const get = (query: string, token: string) =>
    fetch(`${f.srv.url}/api/v1/shape?${query}`, { headers: { authorization: `Bearer ${token}` } })

  it("[W8][B6] another workspace's token with A's handle gets 409 must-refetch, never A's rows (held pages and log)", async () => {
    const { srv, db } = f
    const a = await registerWorkspace(srv.url, "A")
    const b = await registerWorkspace(srv.url, "B")
    for (let i = 0; i < 40; i++) await insertTask(db, a.workspaceId, `secret-${i}`, `A's secret ${i}`)
    const first = await get("table=tasks&offset=-1", a.masterToken)
    expect(first.status).toBe(200)
    expect(first.headers.get("electric-offset")).toBe("0_1")
    const handle = first.headers.get("electric-handle")!
    await first.text()

    // A held page of A's snapshot, and A's log, through B's token.
    for (const query of [`offset=0_1&handle=${handle}`, `offset=1_0&handle=${handle}`]) {
      const res = await get(`table=tasks&${query}`, b.masterToken)
      const body = await res.text()
      expect(res.status, query).toBe(409)
      expect(JSON.parse(body)).toEqual([{ headers: { control: "must-refetch" } }])
      expect(body).not.toContain("secret")
      // The 409 names a fresh handle of B's own, not A's.
      expect(res.headers.get("electric-handle")).not.toBe(handle)
    }
    // A viewer of A (another role) is not the creator either.
    const viewer = await mintToken(srv.url, a.workspaceId, a.masterToken, "viewer")
    const asViewer = await get(`table=tasks&offset=0_1&handle=${handle}`, viewer)
    expect(asViewer.status).toBe(409)
    expect(await asViewer.text()).not.toContain("secret")
    // The same handle with another shape definition (a where) is not this shape's.
    const otherShape = await get(
      `table=tasks&offset=0_1&handle=${handle}&where=${encodeURIComponent("id = 'x'")}`,
      a.masterToken,
    )
    expect(otherShape.status).toBe(409)
    await otherShape.text()

    // The creator still gets its page.
    const own = await get(`table=tasks&offset=0_1&handle=${handle}`, a.masterToken)
    expect(own.status).toBe(200)
    expect(await own.text()).toContain("secret")
  })
})
