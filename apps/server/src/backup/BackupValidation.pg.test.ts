import { LoroDoc, LoroMap } from "loro-crdt"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { api } from "../test/http.js"
import { poisoningUpdate, query, storeBehindPushPath } from "../test/poisoning.js"
import { startTestServer, type TestServer } from "../test/server.js"
import { backupApi, normalize, serverDoc, TestPeer } from "./test/backupHarness.js"
import { badMetadataCases, craftBackup } from "./test/craftBackup.js"

let server: TestServer
beforeAll(async () => {
  server = await startTestServer()
}, 120_000)
afterAll(async () => {
  await server?.stop()
})

const counts = async () =>
  (
    await query(
      server.pg.url,
      `select (select count(*) from workspaces)::int as workspaces, (select count(*) from docs)::int as docs,
              (select count(*) from doc_updates)::int as updates, (select count(*) from backups)::int as backups`,
    )
  )[0]

/** A workspace with real content in two documents, `notes` (healthy) and `main`. */
const workspaceWithContent = async (name: string) => {
  const http = api(server.url)
  const { workspaceId: ws, masterToken } = await http.register(name)
  const editor = (await http.mint(ws, masterToken, "editor")).token
  const notes = new TestPeer(server.url, ws, editor, "notes")
  notes.edit((d) => d.getMap("meta").set("first", "kept")) // the layout's smallest write (S25)
  await notes.sync()
  const main = new TestPeer(server.url, ws, editor)
  for (let i = 0; i < 3; i++) {
    main.edit((d) => d.getMap("tasks").setContainer(`t${i}`, new LoroMap()).set("title", `task ${i}`))
    await main.sync()
  }
  return { ws, masterToken, editor, main, b: backupApi(server.url, ws, masterToken) }
}

const lastSeq = async (ws: string, doc = "main") =>
  Number(
    (await query(server.pg.url, "select last_seq from docs where workspace_id = $1 and doc_id = $2", [ws, doc]))[0]
      .last_seq,
  )

describe("backup metadata and whole-document validation (real server, real Postgres)", () => {
  it("[S22] an imported file's ids go through the routes' schemas and the document cap; a refusal registers nothing", async () => {
    const before = await counts()
    for (const c of badMetadataCases()) {
      const r = await backupApi(server.url, "-", "-").importFile(c.file)
      expect(r.status, c.name).toBe(400)
      expect(r.json.error.kind, c.name).toBe("BadRequest")
      expect(r.json.error.message, c.name).toMatch(c.message)
    }
    expect(await counts()).toEqual(before)
    const odd = await query(server.pg.url, "select id from workspaces where id !~ '^[A-Za-z0-9_-]{1,64}$'")
    expect(odd).toEqual([])
  }, 120_000)

  it("[S22] an import that fails while it is being stored leaves nothing registered (one transaction)", async () => {
    const { b } = await workspaceWithContent("Atomic")
    const file = await b.file((await b.create()).backupId)
    const before = await counts()
    // A real Postgres failure at the second document written (`main`, then `notes`).
    await query(
      server.pg.url,
      `create function refuse_notes() returns trigger language plpgsql as $$
       begin if new.doc_id = 'notes' then raise exception 'injected failure'; end if; return new; end $$;
       create trigger refuse_notes before insert on doc_updates for each row execute function refuse_notes();`,
    )
    try {
      const r = await b.importFile(file)
      expect(r.status, JSON.stringify(r.json)).toBe(503)
      expect(await counts()).toEqual(before)
    } finally {
      await query(server.pg.url, "drop trigger refuse_notes on doc_updates; drop function refuse_notes();")
    }
    expect((await b.importFile(file)).status).toBe(201)
  }, 120_000)

  it("[S23] a backup holding a poisoning entry is refused by import, upload, fork and revert; a history restore too; nothing is stored", async () => {
    const { ws, masterToken, editor, b } = await workspaceWithContent("Poisoned")
    const http = api(server.url)
    const healthy = normalize((await serverDoc(server.url, ws, editor)).toJSON())
    const clean = await b.create()
    await storeBehindPushPath(server.pg.url, ws, "main", poisoningUpdate())
    // A backup taken now holds the poisoned document (exported fine, it only breaks on a fresh load).
    const poisoned = await b.create()
    const file = await b.file(poisoned.backupId)
    const head = await lastSeq(ws)
    const before = await counts()

    const imported = await b.importFile(file)
    expect(imported.status, JSON.stringify(imported.json)).toBe(422)
    expect(imported.json.error.message).toMatch(/backup document main is damaged/)

    expect(
      (await http.call("DELETE", `/api/v1/workspaces/${ws}/backups/${poisoned.backupId}`, { token: masterToken }))
        .status,
    ).toBe(204)
    const uploaded = await b.upload(file)
    expect(uploaded.status, JSON.stringify(uploaded.json)).toBe(422)
    expect(uploaded.json.error.message).toMatch(/backup document main is damaged/)
    expect((await b.list()).backups.map((x: { backupId: string }) => x.backupId)).toEqual([clean.backupId])

    const again = await b.create()
    const forked = await b.restore(again.backupId, { mode: "fork", name: "Fork" })
    expect(forked.status, JSON.stringify(forked.json)).toBe(422)
    // Reverting to a backup from before the poisoning entry cannot remove it (it stays in the history).
    const reverted = await b.restore(clean.backupId, { mode: "revert" })
    expect(reverted.status, JSON.stringify(reverted.json)).toBe(409)
    expect(reverted.json.error.message).toMatch(/document main is damaged .*vibestack doc repair --workspace/)
    const restored = await http.call("POST", `/api/v1/workspaces/${ws}/docs/main/history/restore`, {
      token: masterToken,
      json: { version: 1 },
    })
    expect(restored.status, JSON.stringify(restored.json)).toBe(409)
    expect(restored.json.error.message).toMatch(/vibestack doc repair/)
    // Reading the history of a damaged document never answers 500.
    for (const path of ["history", `history/state?version=${head}`, "history/state?version=1"]) {
      const r = await http.call("GET", `/api/v1/workspaces/${ws}/docs/main/${path}`, { token: editor })
      expect([200, 409], `${path}: ${JSON.stringify(r.json)}`).toContain(r.status)
    }

    // Nothing stored: no workspace, no document, no log entry (the poisoned backup was swapped for another).
    expect(await counts()).toEqual(before)
    expect(await lastSeq(ws)).toBe(head)
    // The healthy document of the workspace is untouched, and so is what clients read of main.
    expect(normalize((await serverDoc(server.url, ws, editor, "notes")).toJSON())).toEqual({ meta: { first: "kept" } })
    expect(healthy).toMatchObject({ tasks: { t0: { title: "task 0" } } })
  }, 180_000)

  it("[S23] a backup whose document is a shallow snapshot (no early history) is refused by import and upload; nothing is stored", async () => {
    const { workspaceId: ws, masterToken } = await api(server.url).register("Shallow backup")
    const b = backupApi(server.url, ws, masterToken)
    // A valid layout, but exported without its history: a workspace built on it would give
    // every device a document Loro cannot merge older edits into (and 1.17 panics on some).
    const doc = new LoroDoc()
    doc.getMap("meta").set("first", "v1")
    doc.commit()
    // One change only: the snapshot holds the state and no op at all.
    const shallow = doc.export({ mode: "shallow-snapshot", frontiers: doc.oplogFrontiers() })
    const file = craftBackup({ workspaceId: ws }, [shallow], ["main"])
    const before = await counts()
    const imported = await b.importFile(file)
    expect(imported.status, JSON.stringify(imported.json)).toBe(422)
    expect(imported.json.error.message).toMatch(/early history/)
    const uploaded = await b.upload(file)
    expect(uploaded.status, JSON.stringify(uploaded.json)).toBe(422)
    expect(uploaded.json.error.message).toMatch(/early history/)
    expect(await counts()).toEqual(before)
  }, 120_000)
})
