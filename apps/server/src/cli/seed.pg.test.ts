import { execFile } from "node:child_process"
import { join } from "node:path"
import { promisify } from "node:util"
import { readWorkspace } from "@vibestack/schema"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { api } from "../test/http.js"
import { startTestServer, type TestServer } from "../test/server.js"

const run = promisify(execFile)
const BIN = join(import.meta.dirname, "../../bin/vibestack.mjs")

/** Runs the CLI on a pseudo-terminal (`script`), as a person at a shell would; returns what it printed. */
const onTerminal = async (args: Array<string>) => {
  const command = [process.execPath, BIN, ...args].map((a) => `'${a}'`).join(" ")
  const { stdout } = await run("script", ["-qfec", command, "/dev/null"], { maxBuffer: 16 * 1024 * 1024 })
  return stdout
}

let server: TestServer
beforeAll(async () => {
  server = await startTestServer()
}, 120_000)
afterAll(() => server?.stop())

describe("vibestack workspace seed", () => {
  it("[O6] seeds in parts through the sync API, showing progress on a terminal; the parts make one valid workspace", async () => {
    const out = await onTerminal([
      "workspace",
      "seed",
      "--tasks",
      "3000",
      "--part-tasks",
      "1000",
      "--seed",
      "5",
      "--url",
      server.url,
    ])
    expect(out).toMatch(/seeding\s+3,000\/3,000 tasks/)
    const result = JSON.parse(out.slice(out.indexOf("{")))
    const { doc } = await api(server.url).newDevice(result.workspaceId, result.masterToken)
    const ws = readWorkspace(doc)
    expect(ws.issues).toEqual([])
    expect([ws.tasks.length, ws.comments.length, ws.projects.length]).toEqual([3000, 300, 8])
    expect(result).toMatchObject({ tasks: 3000, updates: 4 })
  }, 300_000)

  it("[O6] with --json it prints one JSON object and no progress, even on a terminal", async () => {
    const out = await onTerminal(["workspace", "seed", "--tasks", "500", "--json", "--url", server.url])
    const lines = out.split(/\r?\n/).filter((l) => l.trim() !== "")
    expect(lines).toHaveLength(1)
    expect(JSON.parse(lines[0]!)).toMatchObject({ tasks: 500 })
    expect(out).not.toContain("seeding")
  }, 300_000)

  it("[O6] an unreachable server is named with the cause", async () => {
    const failed = await run(process.execPath, [
      BIN,
      "workspace",
      "seed",
      "--tasks",
      "1",
      "--url",
      "http://127.0.0.1:9",
    ]).catch((e: { code: number; stderr: string }) => e)
    expect(failed).toMatchObject({ code: 1 })
    expect((failed as { stderr: string }).stderr).toMatch(/could not reach the server at http:\/\/127\.0\.0\.1:9: /)
  }, 120_000)
})
