import { execFile } from "node:child_process"
import { mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { promisify } from "node:util"
import { createProject, createTask } from "@vibestack/schema"
import { afterAll, describe, expect, it } from "vitest"
import { api } from "../test/http.js"
import { startTestPg, type TestPg } from "../test/pg.js"
import { startTestServer, type TestServer } from "../test/server.js"
import { normalize, serverDoc, TestPeer } from "./test/backupHarness.js"

const run = promisify(execFile)
const serverDir = new URL("../..", import.meta.url).pathname
/** Runs `vibestack …` (the real CLI) against a database. */
const cliData = mkdtempSync(join(tmpdir(), "vibestack-cli-"))
const cli = (databaseUrl: string, ...args: Array<string>) =>
  run(process.execPath, ["--import", "tsx", "src/bin.ts", ...args, "--json"], {
    cwd: serverDir,
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      VIBESTACK_DATA_DIR: cliData,
      // The test servers' secret (test/server.ts), so tokens the CLI prints open them.
      VIBESTACK_JWT_SECRET: "test-secret-that-is-long-enough-for-hs256",
    },
    maxBuffer: 64 * 1024 * 1024,
  }).then((r) => JSON.parse(r.stdout.trim().split("\n").at(-1)!))

const cleanup: Array<() => Promise<void>> = [async () => rmSync(cliData, { recursive: true, force: true })]
afterAll(async () => {
  for (const f of cleanup.reverse()) await f().catch(() => {})
})

describe("whole-server backup (docs/BACKUP.md) and the backup CLI", () => {
  it("pg_dump of the whole database, pg_restore into a second Postgres: the restored server serves the same workspaces; CLI export/import", async () => {
    const tmp = mkdtempSync(join(tmpdir(), "vibestack-dump-"))
    cleanup.push(async () => rmSync(tmp, { recursive: true, force: true }))
    const a: TestServer = await startTestServer()
    cleanup.push(a.stop)
    const http = api(a.url)
    const { workspaceId: ws, masterToken } = await http.register("Dumped")
    const editor = (await http.mint(ws, masterToken, "editor")).token
    const peer = new TestPeer(a.url, ws, editor)
    peer.edit((d) => {
      const p = createProject(d, { name: "Ops", color: "#aa5500" })
      for (let i = 0; i < 10; i++) createTask(d, { projectId: p.id, title: `t${i}` })
    })
    await peer.sync()
    const before = normalize((await serverDoc(a.url, ws, editor)).toJSON())

    // The backup CLI: export a (new) backup of the workspace to one file.
    const exportPath = join(tmp, "ws.vsbackup")
    const exported = await cli(a.pg.url, "backup", "export", "--workspace", ws, "--out", exportPath)
    expect(exported.size).toBe(readFileSync(exportPath).length)
    const listed = await cli(a.pg.url, "backup", "list", "--workspace", ws)
    expect(listed.map((b: { backupId: string }) => b.backupId)).toContain(exported.backupId)

    // The documented whole-server procedure: custom-format dump, restore into an empty cluster.
    const dump = join(tmp, "vibestack.dump")
    await run("pg_dump", ["--format=custom", "--file", dump, a.pg.url])
    const pg2: TestPg = await startTestPg()
    cleanup.push(pg2.dispose)
    await run("pg_restore", ["--no-owner", "--exit-on-error", "--dbname", pg2.url, dump])
    const b = await startTestServer({ pg: pg2 })
    cleanup.push(b.stop)
    // Same JWT secret (config), so the old tokens open the same workspace on the restored server.
    const info = await api(b.url).call("GET", `/api/v1/workspaces/${ws}`, { token: masterToken })
    expect(info.status).toBe(200)
    expect(info.json.name).toBe("Dumped")
    expect(normalize((await serverDoc(b.url, ws, editor)).toJSON())).toEqual(before)
    const backups = await api(b.url).call("GET", `/api/v1/workspaces/${ws}/backups`, { token: masterToken })
    expect(backups.json.backups.map((x: { backupId: string }) => x.backupId)).toContain(exported.backupId)
    const again = new TestPeer(b.url, ws, editor)
    await again.pull()
    expect(again.json()).toEqual(before)

    // The backup CLI: import the exported file (disaster recovery) into the restored server.
    const imported = await cli(pg2.url, "backup", "import", "--file", exportPath, "--name", "Recovered")
    expect(imported.sourceWorkspaceId).toBe(ws)
    expect(imported.workspaceId).not.toBe(ws)
    expect(normalize((await serverDoc(b.url, imported.workspaceId, imported.masterToken)).toJSON())).toEqual(before)
    // A damaged file is refused by the CLI with a clear message, and creates nothing.
    const broken = join(tmp, "broken.vsbackup")
    await run("sh", ["-c", `head -c 200 ${exportPath} > ${broken}`])
    await expect(cli(pg2.url, "backup", "import", "--file", broken)).rejects.toThrow(/damaged/)
  }, 240_000)
})
