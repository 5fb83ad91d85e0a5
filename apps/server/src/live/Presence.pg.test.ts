import { PRESENCE_BURST, PRESENCE_MAX_BYTES } from "@vibestack/shared"
import { EphemeralStore } from "loro-crdt"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { api } from "../test/http.js"
import { type LiveTestClient, liveClient } from "../test/liveClient.js"
import { startTestPg, type TestPg } from "../test/pg.js"
import { startTestServer, type TestServer } from "../test/server.js"

/** [S26] Presence over the live socket: relayed, never stored, bounded, per workspace, gone on revocation. */
describe("[S26] presence on the live socket (real WebSockets, real Postgres)", () => {
  let pg: TestPg
  let server: TestServer
  let http: ReturnType<typeof api>
  beforeAll(async () => {
    pg = await startTestPg()
    server = await startTestServer({ pg })
    http = api(server.url)
  })
  afterAll(async () => {
    await server?.stop()
    await pg?.dispose()
  })

  const authed = async (ws: string, token: string): Promise<LiveTestClient> => {
    const c = liveClient(server.url, ws)
    await c.opened
    c.sendJson({ _tag: "Auth", token, protocolVersion: 4 })
    await c.waitFor(() => c.texts.find((t) => t._tag === "AuthOk"))
    return c
  }

  /** A real Loro EphemeralStore per person: what the app sends. */
  const person = (name: string) => {
    const store = new EphemeralStore<Record<string, { name: string; task?: string }>>(30_000)
    const key = `tab-${name}`
    return {
      state: (task?: string) => {
        store.set(key, { name, ...(task !== undefined ? { task } : {}) })
        return Buffer.from(store.encode(key)).toString("base64")
      },
    }
  }
  const presenceOf = (c: LiveTestClient) =>
    c.texts.filter((t) => t._tag === "PresenceUpdate" || t._tag === "PresenceGone")
  const read = (base64: string) => {
    const store = new EphemeralStore<Record<string, { name: string; task?: string }>>(30_000)
    store.apply(new Uint8Array(Buffer.from(base64, "base64")))
    return Object.values(store.getAllStates())
  }

  it("[S26] relays states to the workspace's other presence sockets only (viewers as watchers), a joiner gets everyone's, nothing is stored", async () => {
    const { workspaceId: ws, masterToken: master } = await http.register("Presence")
    const other = await http.register("Elsewhere")
    const viewer = await http.mint(ws, master, "viewer")
    const cursors = async () => (await http.call("GET", `/api/v1/workspaces/${ws}`, { token: master })).json.docs
    const before = await cursors()

    const alice = await authed(ws, master)
    const carol = await authed(ws, viewer.token)
    const outsider = await authed(other.workspaceId, other.masterToken)
    const silent = await authed(ws, master) // never sends Presence: gets none
    const a = person("Alice")
    alice.sendJson({ _tag: "Presence", state: a.state("t1") })
    outsider.sendJson({ _tag: "Presence", state: person("Mallory").state() })
    // Carol (a viewer) joins: she gets Alice's state, and Alice gets hers with role viewer.
    carol.sendJson({ _tag: "Presence", state: person("Carol").state() })
    const got = await carol.waitFor(() => carol.texts.find((t) => t._tag === "PresenceUpdate"))
    expect(got.role).toBe("master")
    expect(read(got.state)).toEqual([{ name: "Alice", task: "t1" }])
    const seen = await alice.waitFor(() => alice.texts.find((t) => t._tag === "PresenceUpdate"))
    expect(seen.role).toBe("viewer")
    expect(read(seen.state)).toEqual([{ name: "Carol" }])
    alice.sendJson({ _tag: "Presence", state: a.state("t2") })
    await carol.waitFor(() => presenceOf(carol).some((t) => t.state !== undefined && read(t.state)[0]?.task === "t2"))

    // Nothing crossed workspaces, nothing reached a socket that did not join, nothing was stored.
    alice.sendJson({ _tag: "Ping", id: 7 })
    await alice.waitFor(() => alice.texts.find((t) => t._tag === "Pong"))
    expect(presenceOf(outsider)).toEqual([])
    expect(presenceOf(silent)).toEqual([])
    expect(presenceOf(alice).every((t) => t._tag !== "PresenceUpdate" || read(t.state)[0]?.name === "Carol")).toBe(true)
    expect(await cursors()).toEqual(before)

    // Leaving: the others hear it at once.
    carol.socket.close()
    await alice.waitFor(() => alice.texts.find((t) => t._tag === "PresenceGone" && t.from === seen.from))
    for (const c of [alice, outsider, silent]) c.socket.close()
  })

  it("[S26] a state over the size limit or not base64 closes the socket 1007; over the rate, frames are coalesced to the latest", async () => {
    const { workspaceId: ws, masterToken: master } = await http.register("Limits")
    const big = await authed(ws, master)
    big.sendJson({ _tag: "Presence", state: Buffer.alloc(PRESENCE_MAX_BYTES + 3).toString("base64") })
    expect((await big.closed).code).toBe(1007)
    const junk = await authed(ws, master)
    junk.sendJson({ _tag: "Presence", state: "not base64 at all!" })
    expect((await junk.closed).code).toBe(1007)

    const watcher = await authed(ws, master)
    watcher.sendJson({ _tag: "Presence", state: person("W").state() })
    const chatty = await authed(ws, master)
    const c = person("Chatty")
    const sent = 60
    for (let i = 0; i < sent; i++) chatty.sendJson({ _tag: "Presence", state: c.state(`t${i}`) })
    // The latest state always arrives (coalesced, never dropped)...
    await watcher.waitFor(() =>
      watcher.texts.some((t) => t._tag === "PresenceUpdate" && read(t.state)[0]?.task === `t${sent - 1}`),
    )
    // ...but far fewer frames than were sent: the burst, then at most one per refill.
    const relayed = watcher.texts.filter((t) => t._tag === "PresenceUpdate").length
    expect(relayed).toBeLessThan(sent / 2)
    expect(relayed).toBeGreaterThanOrEqual(Math.min(PRESENCE_BURST, sent))
    for (const s of [watcher, chatty]) s.socket.close()
  })

  it("[S26] revoking a token removes its presence for the others at once, and its socket closes 4011", async () => {
    const { workspaceId: ws, masterToken: master } = await http.register("Revoke presence")
    const editor = await http.mint(ws, master, "editor")
    const alice = await authed(ws, master)
    alice.sendJson({ _tag: "Presence", state: person("Alice").state() })
    const bob = await authed(ws, editor.token)
    bob.sendJson({ _tag: "Presence", state: person("Bob").state("t1") })
    const bobs = await alice.waitFor(() => alice.texts.find((t) => t._tag === "PresenceUpdate"))
    expect(
      (await http.call("DELETE", `/api/v1/workspaces/${ws}/tokens/${editor.tokenId}`, { token: master })).status,
    ).toBe(204)
    const gone = await alice.waitFor(() => alice.texts.find((t) => t._tag === "PresenceGone"), 10_000)
    expect(gone.from).toBe(bobs.from)
    expect((await bob.closed).code).toBe(4011)
    alice.socket.close()
  })
})
