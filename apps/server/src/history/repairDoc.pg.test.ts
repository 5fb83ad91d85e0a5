import { execFile } from "node:child_process"
import { join } from "node:path"
import { promisify } from "node:util"
import { createProject, createTask, type DocId } from "@vibestack/schema"
import { decodeUpdates } from "@vibestack/shared"
import { LoroDoc } from "loro-crdt"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { backupApi, normalize, serverDoc, TestPeer } from "../backup/test/backupHarness.js"
import { connect, expectedTables, readTables, waitProjected } from "../projection/test/projectionKit.js"
import { api } from "../test/http.js"
import { poisoningUpdate, query, storeBehindPushPath } from "../test/poisoning.js"
import { startTestServer, type TestServer } from "../test/server.js"
import { EMPTY_UPDATE } from "./emptyUpdate.js"

const run = promisify(execFile)
const BIN = join(import.meta.dirname, "../../bin/vibestack.mjs")

let server: TestServer
let cli: (...args: Array<string>) => Promise<string>
beforeAll(async () => {
  server = await startTestServer()
  const env = {
    ...process.env,
    DATABASE_URL: server.pg.url,
    VIBESTACK_DATA_DIR: server.config.dataDir,
    VIBESTACK_JWT_SECRET: "test-secret-that-is-long-enough-for-hs256",
  }
  cli = async (...args) => (await run(process.execPath, [BIN, ...args], { env, timeout: 300_000 })).stdout
}, 120_000)
afterAll(() => server?.stop())

/** The updates a peer wrote since `from`, as one log entry. */
const since = (doc: LoroDoc, from: ReturnType<LoroDoc["oplogVersion"]>) => doc.export({ mode: "update", from })

describe("vibestack doc repair (real Postgres, real CLI process, real server)", () => {
  it("[S24] quarantines a poisoning entry stored behind the push path and what depended on it; the rest is intact and the document works again", async () => {
    const http = api(server.url)
    const { workspaceId: ws, masterToken } = await http.register("Repair")
    const editor = (await http.mint(ws, masterToken, "editor")).token
    // seq 1-2: healthy edits through the push path.
    const peer = new TestPeer(server.url, ws, editor)
    let project = ""
    peer.edit((d) => {
      project = createProject(d, { name: "Launch", color: "#336699" }).id
    })
    await peer.sync()
    peer.edit((d) => createTask(d, { projectId: project as never, title: "before" }))
    await peer.sync()
    // seq 3: the poisoning update, stored behind the push path's back.
    const poison = poisoningUpdate()
    const poisonSeq = await storeBehindPushPath(server.pg.url, ws, "main", poison)
    // seq 4: an edit by a client that had the poison (it depends on the poison's ops).
    // Importing it and writing on top is safe here: only a fresh load of its snapshot panics.
    const tainted = new LoroDoc()
    tainted.import(peer.doc.export({ mode: "update" }))
    tainted.import(poison)
    const v = tainted.oplogVersion()
    tainted.getMap("meta").set("taintedEdit", true)
    tainted.commit()
    const dependentSeq = await storeBehindPushPath(server.pg.url, ws, "main", since(tainted, v))
    // seq 5: a healthy edit after it (independent of the poison), also behind the push path.
    const v2 = peer.doc.oplogVersion()
    peer.edit((d) => createTask(d, { projectId: project as never, title: "after" }))
    const afterSeq = await storeBehindPushPath(server.pg.url, ws, "main", since(peer.doc, v2))
    // Stored snapshots: one before the poison (kept), one built with it (deleted).
    await query(
      server.pg.url,
      "insert into doc_snapshots (workspace_id, doc_id, seq, bytes) values ($1, 'main', 2, $2)",
      [ws, Buffer.from((await serverDocAt(server.url, ws, editor, 2)).export({ mode: "snapshot" }))],
    )
    await query(
      server.pg.url,
      "insert into doc_snapshots (workspace_id, doc_id, seq, bytes) values ($1, 'main', 4, $2)",
      [ws, Buffer.from(tainted.export({ mode: "snapshot" }))],
    )
    const logBefore = await query(
      server.pg.url,
      "select seq, bytes from doc_updates where workspace_id = $1 order by seq",
      [ws],
    )

    // A dry run reports and changes nothing.
    const dry = JSON.parse(await cli("doc", "repair", "--workspace", ws, "--doc", "main", "--dry-run", "--json"))
    expect(dry.quarantined.map((q: { seq: number }) => q.seq)).toEqual([poisonSeq, dependentSeq])
    expect(dry.quarantined[0].size).toBe(poison.length)
    expect(dry.quarantined[1].reason).toMatch(/depends on operations/)
    expect(dry.snapshotsDeleted).toEqual([4])
    expect(dry.markerSeq).toBeNull()
    expect(
      await query(server.pg.url, "select seq, bytes from doc_updates where workspace_id = $1 order by seq", [ws]),
    ).toEqual(logBefore)
    expect(await query(server.pg.url, "select * from quarantined_updates where workspace_id = $1", [ws])).toEqual([])
    const text = await cli("doc", "repair", "--workspace", ws, "--doc", "main", "--dry-run")
    expect(text).toMatch(new RegExp(`would quarantine 2 entries[\\s\\S]*seq ${poisonSeq}  ${poison.length} bytes`))
    expect(text).toMatch(/dry run: nothing was changed/)

    // The repair.
    const out = JSON.parse(await cli("doc", "repair", "--workspace", ws, "--doc", "main", "--json"))
    expect(out.quarantined.map((q: { seq: number }) => q.seq)).toEqual([poisonSeq, dependentSeq])
    expect(out.markerSeq).toBe(afterSeq + 1)
    expect(out.projectionRebuilt).toBe(true)
    const kept = await query(
      server.pg.url,
      "select seq, bytes, reason from quarantined_updates where workspace_id = $1 order by seq",
      [ws],
    )
    expect(kept.map((k) => Number(k.seq))).toEqual([poisonSeq, dependentSeq])
    expect(new Uint8Array(kept[0].bytes)).toEqual(poison)
    const log = await query(server.pg.url, "select seq, bytes from doc_updates where workspace_id = $1 order by seq", [
      ws,
    ])
    expect(log.map((r) => Number(r.seq))).toEqual([1, 2, 3, 4, 5, 6])
    for (const seq of [poisonSeq, dependentSeq, afterSeq + 1])
      expect(new Uint8Array(log[seq - 1].bytes)).toEqual(EMPTY_UPDATE)
    for (const seq of [1, 2, afterSeq]) expect(log[seq - 1].bytes).toEqual(logBefore[seq - 1].bytes)
    expect(
      (await query(server.pg.url, "select seq from doc_snapshots where workspace_id = $1", [ws])).map((r) =>
        Number(r.seq),
      ),
    ).toEqual([2])
    // Running it again finds nothing.
    expect(await cli("doc", "repair", "--workspace", ws, "--doc", "main")).toMatch(/healthy: nothing to repair/)

    // The valid entries' content is intact; the poison and what built on it are gone.
    const expected = normalize(peer.doc.toJSON())
    expect(normalize((await serverDoc(server.url, ws, editor)).toJSON())).toEqual(expected)
    // A new device's first load (the snapshot, then the log after the seq it covers) is the
    // repaired document.
    const snap = await http.call("GET", `/api/v1/workspaces/${ws}/docs/main/snapshot`, { token: editor })
    expect(snap.status).toBe(200)
    const fresh = LoroDoc.fromSnapshot(snap.bytes)
    const tail = await http.pull(ws, editor, Number(snap.headers.get("x-vibestack-cursor")))
    const records = decodeUpdates(tail.bytes)
    if (typeof records === "string") throw new Error(records)
    for (const r of records) fresh.import(r.bytes)
    expect(normalize(fresh.toJSON())).toEqual(expected)
    // History works: the versions list, a state, a restore.
    const hist = await http.call("GET", `/api/v1/workspaces/${ws}/docs/main/history`, { token: editor })
    expect(hist.status).toBe(200)
    expect(hist.json.versions.map((x: { version: number }) => x.version)).toEqual([6, 5, 4, 3, 2, 1])
    const state = await http.call("GET", `/api/v1/workspaces/${ws}/docs/main/history/state?version=2`, {
      token: editor,
    })
    expect(state.status).toBe(200)
    expect(Object.values(state.json.state.tasks).map((t: any) => t.title)).toEqual(["before"])
    const restored = await http.call("POST", `/api/v1/workspaces/${ws}/docs/main/history/restore`, {
      token: masterToken,
      json: { version: afterSeq },
    })
    expect(restored.status, JSON.stringify(restored.json)).toBe(200)
    // Backups work: made, imported (whole-document check passes), equal to the document.
    const b = backupApi(server.url, ws, masterToken)
    const file = await b.file((await b.create()).backupId)
    const imported = await b.importFile(file)
    expect(imported.status, JSON.stringify(imported.json)).toBe(201)
    expect(
      normalize((await serverDoc(server.url, imported.json.workspaceId, imported.json.masterToken)).toJSON()),
    ).toEqual(expected)
    // Pushes work, and the projection equals the repaired document.
    peer.edit((d) => createTask(d, { projectId: project as never, title: "after repair" }))
    await peer.sync()
    const db = await connect(server.pg.url)
    try {
      await waitProjected(db, ws)
      const doc = await serverDoc(server.url, ws, editor)
      expect(await readTables(db, ws)).toEqual(expectedTables(doc, ws))
      expect((await readTables(db, ws)).tasks.length).toBe(3)
    } finally {
      await db.end()
    }
  }, 300_000)

  it("[S24] refuses bad ids and unknown documents with a clear message", async () => {
    await expect(cli("doc", "repair", "--workspace", "../x", "--doc", "main")).rejects.toMatchObject({
      stderr: expect.stringContaining("--workspace must be 1 to 64 characters"),
    })
    await expect(cli("doc", "repair", "--workspace", "nope", "--doc", "main")).rejects.toMatchObject({
      stderr: expect.stringContaining("no document main in workspace nope"),
    })
  }, 120_000)
})

/** The server's document as of `seq` (a full pull, then only what is at or below it). */
const serverDocAt = async (base: string, ws: string, token: string, seq: number): Promise<LoroDoc> => {
  const r = await api(base).pull(ws, token, 0, seq, "main" as DocId)
  const { decodeUpdates } = await import("@vibestack/shared")
  const records = decodeUpdates(r.bytes)
  if (typeof records === "string") throw new Error(records)
  const doc = new LoroDoc()
  doc.importBatch(records.filter((x) => x.seq <= seq).map((x) => x.bytes))
  return doc
}
