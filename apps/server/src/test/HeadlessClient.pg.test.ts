import { mkdtemp, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { HeadlessClient } from "@vibestack/headless"
import { httpFuzzBackend, pullAll } from "@vibestack/headless/testing"
import { MAIN_DOC } from "@vibestack/schema"
import { ManualClock } from "@vibestack/shared"
import { checkInvariants, notesFixture, notesText, runFuzz } from "@vibestack/shared/testing"
import { LoroDoc } from "loro-crdt"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { stateJson } from "./faults/faultEdits.js"
import { api } from "./http.js"
import { startTestServer, type TestServer } from "./server.js"

let server: TestServer
const dirs: Array<string> = []
beforeAll(async () => {
  server = await startTestServer()
}, 120_000)
afterAll(async () => {
  await server?.stop()
  for (const d of dirs) await rm(d, { recursive: true, force: true })
})
const freshDir = async () => {
  const d = await mkdtemp(join(tmpdir(), "vibestack-headless-pg-"))
  dirs.push(d)
  return d
}

const mint = async (ws: string, master: string, role: "editor" | "viewer") => {
  const res = await fetch(`${server.url}/api/v1/workspaces/${ws}/tokens`, {
    method: "POST",
    headers: { authorization: `Bearer ${master}`, "content-type": "application/json" },
    body: JSON.stringify({ role }),
  })
  expect(res.status).toBe(201)
  return ((await res.json()) as { token: string }).token
}

/** The shared notes task, pushed as the workspace's first update (edits carry only their own ops). */
const pushNotes = async (ws: string, token: string) => {
  const r = await api(server.url).push(ws, token, notesFixture(), "notes-fixture")
  expect(r.status).toBe(200)
}

/** What the tests wrote: `meta`'s keys and the shared notes task's description. */
const written = (doc: LoroDoc) => {
  const json = doc.toJSON() as { meta?: unknown; tasks?: { notes?: { description?: string } } }
  return { meta: json.meta, notes: json.tasks?.notes?.description }
}

describe("HeadlessClient against the real server (Postgres)", () => {
  it("[C5] a creator and an editor converge", async () => {
    const a = await HeadlessClient.create(server.url, "Team", { dir: await freshDir(), fsync: false })
    try {
      await a.edit((d) => d.getMap("meta").set("t1", "real"))
      await a.waitIdle(30_000)
      const b = await HeadlessClient.open(server.url, a.workspaceId, await mint(a.workspaceId, a.token, "editor"), {
        dir: await freshDir(),
        fsync: false,
      })
      try {
        await b.waitIdle(30_000)
        await b.edit((d) => d.getMap("meta").set("notes", "from b"))
        await b.waitIdle(30_000)
        const log = await pullAll(server.url, a.token, a.workspaceId, MAIN_DOC)
        const ref = new LoroDoc()
        ref.importBatch(log.map((r) => r.bytes))
        expect(b.doc.toJSON()).toEqual(ref.toJSON())
        expect(ref.toJSON()).toEqual({ meta: { t1: "real", notes: "from b" } })
      } finally {
        await b.close()
      }
    } finally {
      await a.close()
    }
  }, 60_000)

  it("[C2] an edit reaches the other client through the live socket alone", async () => {
    // A clock that never moves: no poll timer can fire, so only the socket can deliver.
    const clock = new ManualClock()
    const a = await HeadlessClient.create(server.url, "Live", { dir: await freshDir(), fsync: false, clock })
    const editor = await mint(a.workspaceId, a.token, "editor")
    const b = await HeadlessClient.open(server.url, a.workspaceId, editor, {
      dir: await freshDir(),
      fsync: false,
      clock,
    })
    try {
      await a.waitIdle(30_000)
      await b.waitIdle(30_000)
      // Let both sockets authenticate and subscribe (bounded wait, real time).
      for (let i = 0; i < 500 && a.engine.getStatus().state !== "live"; i++) await new Promise((r) => setTimeout(r, 10))
      await new Promise((r) => setTimeout(r, 300))
      await b.edit((d) => d.getMap("meta").set("t", "via socket"))
      for (let i = 0; i < 1000 && a.engine.cursor < 1; i++) await new Promise((r) => setTimeout(r, 10))
      expect(a.doc.toJSON()).toEqual({ meta: { t: "via socket" } })
    } finally {
      await a.close()
      await b.close()
    }
  }, 60_000)

  it("[C14] a change the real server refuses (too large) in the middle of five: the other four land, the server equals the device minus it", async () => {
    const a = await HeadlessClient.create(server.url, "Refusal", { dir: await freshDir(), fsync: false })
    try {
      await pushNotes(a.workspaceId, a.token)
      await a.waitIdle(30_000)
      a.engine.setOnline(false)
      await a.edit((d) => d.getMap("meta").set("t1", "one"))
      await a.edit((d) => notesText(d).insert(0, "hello"))
      // Over the server's 1 MB limit (test config): answered 413 over HTTP.
      await a.edit((d) => notesText(d).insert(5, "x".repeat(1_200_000)))
      await a.edit((d) => notesText(d).insert(notesText(d).length, " world"))
      await a.edit((d) => d.getMap("meta").set("t2", "two"))
      expect(a.status).toMatchObject({ pending: 5 })
      a.engine.setOnline(true)
      await a.waitIdle(60_000)
      const expected = { meta: { t1: "one", t2: "two" }, notes: "hello world" }
      expect(written(a.doc)).toEqual(expected)
      const log = await pullAll(server.url, a.token, a.workspaceId, MAIN_DOC)
      expect(log).toHaveLength(5) // the notes fixture and the four that landed
      const ref = new LoroDoc()
      ref.importBatch(log.map((r) => r.bytes))
      expect(written(ref)).toEqual(expected)
      expect(stateJson(ref)).toBe(stateJson(a.doc))
      const rejected = await a.store.rejectedOutbox(a.workspaceId, MAIN_DOC)
      expect(rejected.map((r) => r.error.kind)).toEqual(["PayloadTooLarge"])
      expect(rejected[0]!.text).toHaveLength(1_200_000)
      expect(a.status).toMatchObject({ state: "live", pending: 0, rejected: 1 })
    } finally {
      await a.close()
    }
  }, 120_000)

  it("[C14][C15] a viewer's forced edits are set aside while sync goes on; joined again as an editor, one is retried and lands", async () => {
    const owner = await HeadlessClient.create(server.url, "Viewer", { dir: await freshDir(), fsync: false })
    const dir = await freshDir()
    const viewer = await HeadlessClient.open(
      server.url,
      owner.workspaceId,
      await mint(owner.workspaceId, owner.token, "viewer"),
      {
        dir,
        fsync: false,
      },
    )
    try {
      await pushNotes(owner.workspaceId, owner.token)
      await owner.waitIdle(30_000)
      for (let i = 0; i < 500 && viewer.engine.cursor < 1; i++) await new Promise((r) => setTimeout(r, 10))
      await viewer.waitIdle(30_000)
      await viewer.edit((d) => notesText(d).insert(0, "typed by a viewer"))
      await viewer.edit((d) => d.getMap("meta").set("v", "viewer task"))
      await viewer.waitIdle(30_000)
      expect(viewer.status).toMatchObject({ state: "live", pending: 0, rejected: 2, error: undefined })
      expect(written(viewer.doc)).toEqual({ meta: undefined, notes: undefined })
      expect((await viewer.store.getWorkspace(owner.workspaceId))?.fatal).toBeUndefined()
      // Remote edits keep arriving.
      await owner.edit((d) => d.getMap("meta").set("o", "from the owner"))
      await owner.waitIdle(30_000)
      for (let i = 0; i < 500 && viewer.engine.cursor < 2; i++) await new Promise((r) => setTimeout(r, 10))
      expect(written(viewer.doc)).toEqual({ meta: { o: "from the owner" }, notes: undefined })
      const [typed, task] = await viewer.store.rejectedOutbox(owner.workspaceId, MAIN_DOC)
      expect(typed!.error).toEqual({ kind: "Forbidden", message: expect.any(String) })
      expect(typed!.summary).toContain('tasks/notes/description: typed "typed by a viewer"')
      await viewer.close()
      // The same device joins again with an editor link.
      const editor = await HeadlessClient.open(
        server.url,
        owner.workspaceId,
        await mint(owner.workspaceId, owner.token, "editor"),
        {
          dir,
          fsync: false,
        },
      )
      try {
        await editor.waitIdle(30_000)
        expect(await editor.engine.retryRejected(typed!.id)).toEqual({})
        await editor.engine.discardRejected(task!.id)
        await editor.waitIdle(30_000)
        const log = await pullAll(server.url, owner.token, owner.workspaceId, MAIN_DOC)
        const ref = new LoroDoc()
        ref.importBatch(log.map((r) => r.bytes))
        expect(written(ref)).toEqual({ meta: { o: "from the owner" }, notes: "typed by a viewer" })
        expect(stateJson(editor.doc)).toBe(stateJson(ref))
        expect(editor.status).toMatchObject({ state: "live", pending: 0, rejected: 0 })
      } finally {
        await editor.close()
      }
    } finally {
      await viewer.close()
      await owner.close()
    }
  }, 120_000)

  it("[C2][C4][C9] the seeded fuzz keeps I1–I4 against the real server", async () => {
    const seeds = Number(process.env.VIBESTACK_FUZZ_SEEDS ?? 2)
    for (let seed = 1; seed <= seeds; seed++) {
      const creator = await HeadlessClient.create(server.url, `fuzz-${seed}`, { dir: await freshDir(), fsync: false })
      await creator.close()
      const { workspaceId, token } = creator
      const backend = httpFuzzBackend({
        url: server.url,
        workspaceId,
        docId: MAIN_DOC,
        token,
        log: () => pullAll(server.url, token, workspaceId, MAIN_DOC),
      })
      const world = await runFuzz({ seed, peers: 3, steps: 50, backend })
      try {
        const log = await backend.log()
        const ref = new LoroDoc()
        if (log.length > 0) ref.importBatch(log.map((r) => r.bytes))
        const bad = await checkInvariants(world.peers, log, ref)
        if (bad.length > 0) throw new Error(`seed ${seed} violated:\n${bad.slice(0, 20).join("\n")}`)
      } finally {
        for (const p of world.peers) await p.engine.stop()
      }
    }
  }, 180_000)
})
