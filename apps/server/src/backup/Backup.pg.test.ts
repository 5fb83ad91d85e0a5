import { createProject, createTask, readWorkspace, setTaskDescription } from "@vibestack/schema"
import { Either } from "effect"
import { LoroDoc } from "loro-crdt"
import pg from "pg"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { connect, expectedTables, readTables, waitProjected } from "../projection/test/projectionKit.js"
import { api } from "../test/http.js"
import { startTestServer, type TestServer } from "../test/server.js"
import { decodeBackup } from "./backupFile.js"
import { backupApi, normalize, serverDoc, TestPeer } from "./test/backupHarness.js"

let server: TestServer
beforeAll(async () => {
  server = await startTestServer()
}, 120_000)
afterAll(async () => {
  await server?.stop()
})

const setup = async () => {
  const http = api(server.url)
  const { workspaceId: ws, masterToken } = await http.register("Backups")
  const editor = (await http.mint(ws, masterToken, "editor")).token
  return { http, ws, masterToken, editor, b: backupApi(server.url, ws, masterToken) }
}

/** The JSON of the main document inside a backup file. */
const backupJson = (file: Uint8Array, docId = "main") => {
  const decoded = decodeBackup(file)
  if (Either.isLeft(decoded)) throw new Error(decoded.left)
  const i = decoded.right.meta.docs.findIndex((d) => d.docId === docId)
  const doc = new LoroDoc()
  doc.import(decoded.right.snapshots[i]!)
  return normalize(doc.toJSON())
}

describe("backups (real Postgres, clients over HTTP)", () => {
  it("[F10] backup during a write load, keep writing, revert: every client converges to the backup state plus what came after", async () => {
    const { ws, editor, b } = await setup()
    const peers = [0, 1, 2].map(() => new TestPeer(server.url, ws, editor))
    const write = async (phase: string, rounds: number, onRound?: (r: number) => void) => {
      for (let r = 0; r < rounds; r++) {
        onRound?.(r)
        await Promise.all(
          peers.map(async (p, i) => {
            p.edit((d) => d.getMap("meta").set(`${phase}-${i}-${r}`, r))
            p.edit((d) => d.getMap("meta").set("last", `${phase}-${i}-${r}`))
            await p.sync()
          }),
        )
      }
    }
    // Phase 1: the backup is taken while three writers push.
    let started: Promise<Awaited<ReturnType<typeof b.create>>> | undefined
    await write("before", 12, (r) => {
      if (r === 4) started = b.create()
    })
    const backup = await started!
    const file = await b.file(backup.backupId)
    const atBackup = backupJson(file) as { meta: Record<string, unknown> }
    const written = (meta: Record<string, unknown>) =>
      Object.fromEntries(Object.entries(meta).filter(([k]) => k !== "last"))
    expect(Object.keys(written(atBackup.meta)).length).toBeGreaterThanOrEqual(12)
    // The backup is a consistent cut: each writer's keys form a prefix of what it wrote.
    for (const i of [0, 1, 2]) {
      const mine = Object.keys(atBackup.meta ?? {}).filter((k) => k.startsWith(`before-${i}-`)).length
      for (let r = 0; r < mine; r++) expect(atBackup.meta[`before-${i}-${r}`]).toBe(r)
    }
    // Phase 2: keep writing, then revert.
    await write("between", 5)
    const reverted = await b.restore(backup.backupId, { mode: "revert" })
    expect(reverted.status, JSON.stringify(reverted.json)).toBe(200)
    expect(reverted.json.docs[0].seq).toBeGreaterThan(0)
    // Phase 3: clients sync (they never wiped anything) and keep writing.
    for (const p of peers) await p.sync()
    for (const p of peers) expect(p.json()).toEqual(atBackup)
    await write("after", 3)
    for (const p of peers) await p.sync()
    const expected = written(atBackup.meta)
    for (const i of [0, 1, 2]) for (let r = 0; r < 3; r++) expected[`after-${i}-${r}`] = r
    const server0 = normalize((await serverDoc(server.url, ws, editor)).toJSON()) as typeof atBackup
    expect(written(server0.meta)).toEqual(expected)
    for (const p of peers) expect(p.json()).toEqual(server0)
  }, 120_000)

  it("revert while a client is offline with unsynced edits: after it reconnects its edits are kept, and conflicts stay in the history", async () => {
    const { ws, editor, masterToken, b, http } = await setup()
    const online = new TestPeer(server.url, ws, editor)
    const offline = new TestPeer(server.url, ws, editor)
    online.edit((d) => d.getMap("meta").set("title", "v1"))
    await online.sync()
    await offline.sync()
    const backup = await b.create()
    online.edit((d) => d.getMap("meta").set("title", "v2"))
    online.edit((d) => d.getMap("meta").set("later", true))
    await online.sync()
    await offline.pull()
    // Offline now: a new entry, and a concurrent write to the field the revert will touch.
    offline.edit((d) => d.getMap("meta").set("offline-note", "written offline"))
    offline.edit((d) => d.getMap("meta").set("title", "offline title"))
    const offlineVersion = offline.doc.oplogVersion()
    expect((await b.restore(backup.backupId, { mode: "revert" })).status).toBe(200)
    await online.sync()
    expect(online.json()).toEqual({ meta: { title: "v1" } })
    // Reconnect: the unsynced edits are pushed after the revert and merge on top.
    await offline.sync()
    await online.sync()
    expect(offline.json()).toEqual(online.json())
    const final = online.json() as { meta: Record<string, unknown> }
    expect(final.meta["offline-note"]).toBe("written offline")
    expect(final.meta.later).toBeUndefined()
    // The concurrent title write is settled by Loro's last-writer-wins; whichever lost is
    // still in the version history, readable and restorable.
    expect(["v1", "offline title"]).toContain(final.meta.title)
    const hist = await http.call("GET", `/api/v1/workspaces/${ws}/docs/main/history`, { token: masterToken })
    expect(hist.status).toBe(200)
    const pushedOffline = hist.json.versions.find((v: { peers: Array<string> }) =>
      v.peers.includes(offline.doc.peerIdStr),
    )
    expect(pushedOffline).toBeDefined()
    const st = await http.call(
      "GET",
      `/api/v1/workspaces/${ws}/docs/main/history/state?version=${pushedOffline.version}`,
      { token: editor },
    )
    expect(st.status).toBe(200)
    expect(st.json.state.meta["offline-note"]).toBe("written offline")
    expect(offlineVersion.get(offline.doc.peerIdStr)).toBeGreaterThan(0)
  }, 120_000)

  it("fork and import produce workspaces whose documents equal the backup", async () => {
    const { ws, editor, b } = await setup()
    const peer = new TestPeer(server.url, ws, editor)
    peer.edit((d) => {
      const p = createProject(d, { name: "Launch", color: "#336699" })
      for (let i = 0; i < 20; i++) {
        const t = createTask(d, { projectId: p.id, title: `task ${i}` })
        if (i % 5 === 0) setTaskDescription(d, t.id, `details of ${i}`)
      }
    })
    await peer.sync()
    const backup = await b.create()
    const file = await b.file(backup.backupId)
    peer.edit((d) => d.getMap("meta").set("after", 1))
    await peer.sync()

    const forked = await b.restore(backup.backupId, { mode: "fork", name: "Fork" })
    expect(forked.status, JSON.stringify(forked.json)).toBe(200)
    expect(forked.json.workspaceId).not.toBe(ws)
    const forkDoc = await serverDoc(server.url, forked.json.workspaceId, forked.json.masterToken)
    expect(normalize(forkDoc.toJSON())).toEqual(backupJson(file))
    expect(readWorkspace(forkDoc).tasks.length).toBe(20)

    const imported = await b.importFile(file)
    expect(imported.status, JSON.stringify(imported.json)).toBe(201)
    // The original id is taken on this server, so the import gets a new one.
    expect(imported.json.workspaceId).not.toBe(ws)
    expect(imported.json.sourceWorkspaceId).toBe(ws)
    const importDoc = await serverDoc(server.url, imported.json.workspaceId, imported.json.masterToken)
    expect(normalize(importDoc.toJSON())).toEqual(backupJson(file))
    // The projection follows: the new workspaces' tables equal what their documents say.
    const db = await connect(server.pg.url)
    try {
      for (const [id, doc] of [
        [forked.json.workspaceId, forkDoc],
        [imported.json.workspaceId, importDoc],
      ] as const) {
        await waitProjected(db, id)
        const tables = await readTables(db, id)
        expect(tables).toEqual(expectedTables(doc, id))
        expect(tables.tasks.length).toBe(20)
      }
    } finally {
      await db.end()
    }
    // The new master token is the new workspace's master, and opens nothing else.
    const info = await api(server.url).call("GET", `/api/v1/workspaces/${imported.json.workspaceId}`, {
      token: imported.json.masterToken,
    })
    expect(info.json.role).toBe("master")
    expect(
      (await api(server.url).call("GET", `/api/v1/workspaces/${ws}`, { token: imported.json.masterToken })).status,
    ).toBe(403)
  }, 120_000)

  it("truncated, bit-flipped, foreign and wrong-workspace backup files are refused with a clear message and change nothing", async () => {
    const { ws, editor, b, http } = await setup()
    const other = await setup()
    const peer = new TestPeer(server.url, ws, editor)
    peer.edit((d) => d.getMap("meta").set("x", 1))
    await peer.sync()
    const file = await b.file((await b.create()).backupId)
    const otherFile = await other.b.file((await other.b.create()).backupId)
    const listed = await b.list()
    const count = async () => {
      const client = new pg.Client({ connectionString: server.pg.url })
      await client.connect()
      try {
        return Number((await client.query("select count(*)::int as n from workspaces")).rows[0].n)
      } finally {
        await client.end()
      }
    }
    const before = await count()
    const flipped = file.slice()
    flipped[Math.floor(flipped.length / 2)]! ^= 0x10
    const foreign = new TextEncoder().encode("PK\u0003\u0004 this is a zip file, not a backup")
    const cases: Array<[string, Uint8Array, RegExp]> = [
      ["truncated", file.subarray(0, file.length - 100), /damaged|checksum/],
      ["bit-flipped", flipped, /damaged|checksum/],
      ["foreign", foreign, /not a VibeStack backup/],
      ["empty", new Uint8Array(0), /not a VibeStack backup/],
    ]
    for (const [name, bytes, message] of cases) {
      const up = await b.upload(bytes)
      expect(up.status, name).toBe(400)
      expect(up.json.error.message, name).toMatch(message)
      const imp = await b.importFile(bytes)
      expect(imp.status, name).toBe(400)
      expect(imp.json.error.message, name).toMatch(message)
    }
    const wrong = await b.upload(otherFile)
    expect(wrong.status).toBe(400)
    expect(wrong.json.error.message).toMatch(/belongs to workspace/)
    // Another workspace's master cannot touch this workspace's backups.
    const stolen = await http.call("GET", `/api/v1/workspaces/${ws}/backups/${listed.backups[0].backupId}/file`, {
      token: other.masterToken,
    })
    expect(stolen.status).toBe(403)
    const byEditor = await http.call("POST", `/api/v1/workspaces/${ws}/backups`, { token: editor })
    expect(byEditor.status).toBe(403)
    expect(await count()).toBe(before)
    expect(await b.list()).toEqual(listed)
    expect(normalize((await serverDoc(server.url, ws, editor)).toJSON())).toEqual({ meta: { x: 1 } })
    // Its own file uploads fine (idempotently: same id, same bytes).
    const again = await b.upload(file)
    expect(again.status).toBe(201)
  }, 120_000)

  it("history lists versions, reads the state at any version and restores one like a backup", async () => {
    const { ws, editor, masterToken, http } = await setup()
    const peer = new TestPeer(server.url, ws, editor)
    for (let i = 1; i <= 3; i++) {
      peer.edit((d) => d.getMap("meta").set("n", i))
      await peer.sync()
    }
    const hist = await http.call("GET", `/api/v1/workspaces/${ws}/docs/main/history?limit=2`, { token: editor })
    expect(hist.status).toBe(200)
    expect(hist.json.versions.map((v: { version: number }) => v.version)).toEqual([3, 2])
    expect(hist.json.nextBefore).toBe(2)
    expect(hist.json.versions[0].peers).toEqual([peer.doc.peerIdStr])
    expect(hist.json.versions[0].changes).toBe(1)
    const st = await http.call("GET", `/api/v1/workspaces/${ws}/docs/main/history/state?version=1`, { token: editor })
    expect(st.json.state).toEqual({ meta: { n: 1 } })
    const viewer = (await http.mint(ws, masterToken, "viewer")).token
    expect((await http.call("GET", `/api/v1/workspaces/${ws}/docs/main/history`, { token: viewer })).status).toBe(403)
    const byEditor = await http.call("POST", `/api/v1/workspaces/${ws}/docs/main/history/restore`, {
      token: editor,
      json: { version: 1 },
    })
    expect(byEditor.status).toBe(403)
    const restored = await http.call("POST", `/api/v1/workspaces/${ws}/docs/main/history/restore`, {
      token: masterToken,
      json: { version: 2 },
    })
    expect(restored.status, JSON.stringify(restored.json)).toBe(200)
    expect(restored.json.seq).toBe(4)
    await peer.sync()
    expect(peer.json()).toEqual({ meta: { n: 2 } })
    const missing = await http.call("GET", `/api/v1/workspaces/${ws}/docs/main/history/state?version=99`, {
      token: editor,
    })
    expect(missing.status).toBe(404)
  }, 120_000)

  it("the OpenAPI document lists the backup and history routes", async () => {
    const doc = (await api(server.url).call("GET", "/api/v1/openapi.json")).json
    for (const path of [
      "/api/v1/workspaces/{ws}/backups",
      "/api/v1/workspaces/{ws}/backups/{backupId}/file",
      "/api/v1/workspaces/{ws}/backups/{backupId}/restore",
      "/api/v1/workspaces/{ws}/backups/upload",
      "/api/v1/backups/import",
      "/api/v1/workspaces/{ws}/docs/{doc}/history",
      "/api/v1/workspaces/{ws}/docs/{doc}/history/state",
      "/api/v1/workspaces/{ws}/docs/{doc}/history/restore",
    ])
      expect(Object.keys(doc.paths)).toContain(path)
  })
})
