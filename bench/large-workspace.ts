/**
 * A 100,000-task workspace run as an operator would (#15, #17): `vibestack serve` with its
 * defaults (embedded Postgres, projection on), `vibestack workspace seed` through the sync API,
 * then a write, snapshots, backups over HTTP and the CLI, an import (HTTP and CLI), a revert and
 * a fork, each timed with the longest the server's event loop was blocked during it (every other
 * workspace's pushes and live frames wait that long); the projection's catch-up and the server's
 * pool timeouts and recycles after it all. CLI figures include the CLI's own start (compiling TypeScript: several seconds).
 * Peer in the same run: a plain GET of the document's snapshot.
 * Run: node --import tsx bench/large-workspace.ts [tasks=100000]
 */

import { execFile } from "node:child_process"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { promisify } from "node:util"
import { api } from "@vibestack/server/src/test/http.js"
import { freePort } from "@vibestack/server/src/test/pg.js"
import { spawnServer } from "@vibestack/server/src/test/serverProcess.js"
import { Health, Readiness } from "@vibestack/shared"
import { Schema } from "effect"
import { LoroDoc } from "loro-crdt"

const tasks = Number(process.argv[2] ?? 100_000)
const BIN = join(import.meta.dirname, "../apps/server/bin/vibestack.mjs")
const run = promisify(execFile)
const root = mkdtempSync(join(tmpdir(), "vibestack-large-"))
const port = await freePort()
const env = { VIBESTACK_DATA_DIR: join(root, "data"), PORT: String(port) }
const server = await spawnServer(env, port)
const http = api(server.url)
const rows: Array<[string, string, string, string]> = []
/** The longest the server's event loop was blocked since the last call (a scrape resets it). */
const lagSinceLast = async () => (await metric(/^nodejs_eventloop_lag_max_seconds/)).toFixed(2)

const timed = async <A>(label: string, f: () => Promise<A>, note = ""): Promise<A> => {
  await lagSinceLast()
  const started = performance.now()
  const a = await f()
  const s = (performance.now() - started) / 1000
  const lag = await lagSinceLast()
  rows.push([label, `${s.toFixed(2)} s`, `${lag} s`, note])
  console.error(`${label}: ${s.toFixed(2)} s, event loop blocked at most ${lag} s ${note}`)
  return a
}
const cli = async (...args: Array<string>) => {
  const { stdout } = await run(process.execPath, [BIN, ...args, "--json"], {
    env: { ...process.env, ...env, VIBESTACK_URL: server.url },
    maxBuffer: 64 * 1024 * 1024,
  })
  return JSON.parse(stdout)
}
const ok = <R extends { status: number; json?: unknown }>(what: string, r: R, want = 200): R => {
  if (r.status !== want) throw new Error(`${what}: ${r.status} ${JSON.stringify(r.json)}`)
  return r
}
const metric = async (pattern: RegExp) => {
  const text = await (await fetch(`${server.url}/metrics`)).text()
  return text
    .split("\n")
    .filter((l) => pattern.test(l) && !l.startsWith("#"))
    .reduce((n, l) => n + Number(l.split(" ").at(-1)), 0)
}

try {
  const seeded = await timed(`seed ${tasks.toLocaleString("en")} tasks (CLI)`, () =>
    cli("workspace", "seed", "--tasks", String(tasks), "--seed", "7"),
  )
  const { workspaceId: ws, masterToken: token } = seeded
  rows.push(["  pushed updates / bytes", `${seeded.updates} / ${(seeded.bytes / 1e6).toFixed(1)} MB`, "", ""])
  rows.push([
    "  of which the server validating (pool)",
    `${(await metric(/^vibestack_validate_seconds_sum/)).toFixed(1)} s in ${await metric(/^vibestack_validate_seconds_count/)} ticks`,
    "",
    "validation by meaning of each part: O(part)",
  ])

  // Right after the seed the projection is still behind: an export from the pool (S27).
  const snapshot = await timed("GET snapshot (first, right after the seed)", async () =>
    ok("snapshot", await http.call("GET", `/api/v1/workspaces/${ws}/docs/main/snapshot`, { token })),
  )
  await timed("GET snapshot (peer)", async () =>
    ok("snapshot", await http.call("GET", `/api/v1/workspaces/${ws}/docs/main/snapshot`, { token })),
  )
  rows.push(["  snapshot size", `${(snapshot.bytes.length / 1e6).toFixed(1)} MB`, "", ""])
  const client = new LoroDoc()
  client.import(snapshot.bytes)
  for (let i = 0; i < 2; i++) {
    const vv = client.oplogVersion()
    client.getMap("meta").set(`bench-${i}`, i)
    client.commit()
    await timed(`write (push ${i + 1})`, async () =>
      ok("push", await http.push(ws, token, client.export({ mode: "update", from: vv }), `bench-${i}`)),
    )
  }
  const backup = await timed("backup create (HTTP)", async () =>
    ok("backup", await http.call("POST", `/api/v1/workspaces/${ws}/backups`, { token }), 201),
  )
  const id = backup.json.backupId as string
  const file = await timed("backup download (HTTP)", async () =>
    ok("file", await http.call("GET", `/api/v1/workspaces/${ws}/backups/${id}/file`, { token })),
  )
  await timed("backup create (CLI)", () => cli("backup", "create", "--workspace", ws))
  const out = join(root, "backup.vibestack")
  await timed("backup export (CLI, new backup)", () => cli("backup", "export", "--workspace", ws, "--out", out))
  await timed("import (HTTP upload)", async () =>
    ok(
      "import",
      await http.call("POST", "/api/v1/backups/import", {
        body: file.bytes,
        headers: { "content-type": "application/octet-stream" },
      }),
      201,
    ),
  )
  await timed("import (CLI)", () => cli("backup", "import", "--file", out, "--name", "imported"))
  await timed("revert (HTTP)", async () =>
    ok(
      "revert",
      await http.call("POST", `/api/v1/workspaces/${ws}/backups/${id}/restore`, { token, json: { mode: "revert" } }),
    ),
  )
  await timed("fork (HTTP)", async () =>
    ok(
      "fork",
      await http.call("POST", `/api/v1/workspaces/${ws}/backups/${id}/restore`, {
        token,
        json: { mode: "fork", name: "fork" },
      }),
    ),
  )
  let resets = 0
  await timed("projection caught up (after everything above)", async () => {
    for (;;) {
      // A connection the server closed (keep-alive) is not a failure of the server: count it, ask again.
      const h = await fetch(`${server.url}/healthz`).then(
        async (r) => Schema.decodeUnknownSync(Health)(await r.json()),
        () => {
          resets++
          return undefined
        },
      )
      if (h?.projectionLag === 0) return
      await new Promise((r) => setTimeout(r, 1000))
    }
  })
  rows.push(["  /healthz polls reset by the server meanwhile", String(resets), "", ""])
  rows.push([
    "pool timeouts / recycles",
    `${await metric(/^vibestack_pool_timeouts_total/)} / ${await metric(/^vibestack_pool_recycles_total/)}`,
    "",
    "want 0 / 0",
  ])
  rows.push(["HTTP 5xx answered", `${await metric(/^vibestack_http_server_errors_total/)}`, "", "want 0"])
  const ready = Schema.decodeUnknownSync(Readiness)(await (await fetch(`${server.url}/readyz`)).json())
  rows.push([
    "/readyz at the end",
    ready.status,
    "",
    ready.checks
      .filter((c) => c.status !== "ok")
      .map((c) => c.reason)
      .join("; "),
  ])
} finally {
  const code = server.child.exitCode ?? server.child.signalCode
  if (code !== null) console.error(`the server exited (${code}); its log ends:\n${server.log().slice(-6000)}`)
  writeFileSync(join(tmpdir(), "vibestack-large-workspace.log"), server.log())
  server.child.kill("SIGTERM")
  await server.exited
  rmSync(root, { recursive: true, force: true })
}
console.log("| step | time | server event loop blocked, max | note |\n| --- | ---: | ---: | --- |")
for (const [a, b, c, d] of rows) console.log(`| ${a} | ${b} | ${c} | ${d} |`)
process.exit(0)
