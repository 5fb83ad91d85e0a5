import { execFile } from "node:child_process"
import { join } from "node:path"
import { promisify } from "node:util"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { api, loroUpdate } from "../test/http.js"
import { startTestServer, type TestServer } from "../test/server.js"

const run = promisify(execFile)
const BIN = join(import.meta.dirname, "../../bin/vibestack.mjs")

describe("vibestack CLI admin commands (real Postgres, real process)", () => {
  let srv: TestServer
  let cli: (...args: Array<string>) => Promise<any>
  beforeAll(async () => {
    srv = await startTestServer()
    const env = {
      ...process.env,
      DATABASE_URL: srv.pg.url,
      VIBESTACK_DATA_DIR: srv.config.dataDir,
      VIBESTACK_JWT_SECRET: "test-secret-that-is-long-enough-for-hs256",
    }
    cli = async (...args) => JSON.parse((await run(process.execPath, [BIN, ...args, "--json"], { env })).stdout)
  })
  afterAll(() => srv?.stop())

  it("creates a workspace, mints, lists and revokes tokens that the server honours", async () => {
    const http = api(srv.url)
    const ws = await cli("workspace", "create", "--name", "From CLI")
    expect(ws.workspaceId).toMatch(/^[A-Za-z0-9_-]+$/)
    expect((await http.push(ws.workspaceId, ws.masterToken, loroUpdate(1), "cli-1")).status).toBe(200)
    const editor = await cli("token", "create", "--workspace", ws.workspaceId, "--role", "editor", "--label", "ci")
    expect((await http.push(ws.workspaceId, editor.token, loroUpdate(1, 7n), "cli-2")).status).toBe(200)
    const listed = await cli("token", "list", "--workspace", ws.workspaceId)
    expect(listed.map((t: { role: string }) => t.role).sort()).toEqual(["editor", "master"])
    expect(JSON.stringify(listed)).not.toContain(editor.token)
    await cli("token", "revoke", "--workspace", ws.workspaceId, "--token-id", editor.tokenId)
    // Revocation reached the running server (NOTIFY evicts its token cache).
    expect((await http.pull(ws.workspaceId, editor.token)).status).toBe(401)
    const all = await cli("workspace", "list")
    expect(all.find((w: { workspaceId: string }) => w.workspaceId === ws.workspaceId)?.updates).toBe(2)
  })

  it("fails with a clear message and exit code on bad input", async () => {
    await expect(cli("token", "create", "--workspace", "nope", "--role", "admin")).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringContaining("--role must be editor or viewer"),
    })
    await expect(cli("token", "create", "--workspace", "nope", "--role", "viewer")).rejects.toMatchObject({
      stderr: expect.stringContaining("no workspace nope"),
    })
  })
})
