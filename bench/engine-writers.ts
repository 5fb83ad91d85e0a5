/**
 * Issue 14: what the product's sync engine costs its device per edit when several devices edit
 * one document at once (the peers ramp's writers, without the ramp): `writers` `HeadlessClient`s
 * (memory store) on one workspace of the real server, each creating tasks with the schema's
 * write helpers as fast as its acknowledgements come back. Prints, per edit made anywhere: the
 * client process's CPU, how many Loro imports the engines made (one per remote store call; each
 * remote update is applied by every other device), and the wall time inside Loro's import (on
 * a busy machine it includes waits for a core), beside
 * two floors: the same workload's Loro work alone in bare Loro calls (`peers/engineFloor.ts`:
 * each edit created, committed, exported and imported by every device, edits made one after the
 * other or concurrently), and the finished document imported by each other device in one bare
 * Loro call. (Replaying each device's recorded import calls into bare documents is no floor: a
 * bare document lacks the device's own edits, so the others' edits that depend on them only
 * wait as pending, which costs next to nothing.)
 *
 * Run: node --import tsx bench/engine-writers.ts [writers=5] [edits=400] [runs=2]
 */
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { HeadlessClient } from "@vibestack/headless"
import { createProject, createTask, type WorkspaceId } from "@vibestack/schema"
import { freePort, startTestPg } from "@vibestack/server/src/test/pg.js"
import { fmt, median, table } from "@vibestack/server/src/test/stats.js"
import { LoroDoc } from "loro-crdt"
import { startServerProcess } from "./lib/serverProcess.js"
import { engineWorkloadMsPerEdit } from "./peers/engineFloor.js"

const [writers = 5, edits = 400, runs = 2] = process.argv.slice(2).map(Number)

/** Counts and times the engines' Loro imports (only while `recording`). */
const imports = { calls: 0, ms: 0 }
let recording = false
const wrap = <A extends Array<unknown>, R>(f: (this: LoroDoc, ...a: A) => R) =>
  function (this: LoroDoc, ...a: A): R {
    if (!recording) return f.apply(this, a)
    const t = performance.now()
    imports.calls++
    try {
      return f.apply(this, a)
    } finally {
      imports.ms += performance.now() - t
    }
  }
LoroDoc.prototype.import = wrap(LoroDoc.prototype.import)
LoroDoc.prototype.importBatch = wrap(LoroDoc.prototype.importBatch)
const db = await startTestPg()
const server = await startServerProcess(db.url, await freePort(), { VIBESTACK_PROJECTION_ENABLED: "false" })
const dirs: Array<string> = []
try {
  const rows: Array<Array<string>> = []
  const results: Array<{
    cpu: number
    imports: number
    importMs: number
    sequentialMs: number
    concurrentMs: number
    floorMs: number
  }> = []
  for (let run = 0; run < runs; run++) {
    const space = (await fetch(`${server.url}/api/v1/workspaces`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: "engine-writers" }),
    }).then((r) => r.json())) as { workspaceId: WorkspaceId; masterToken: string }
    const clients = await Promise.all(
      Array.from({ length: writers }, () => {
        const dir = mkdtempSync(join(tmpdir(), "engine-writers-"))
        dirs.push(dir)
        return HeadlessClient.open(server.url, space.workspaceId, space.masterToken, { dir, store: "memory" })
      }),
    )
    const project = await clients[0]!.edit((d) => void createProject(d, { id: "p", name: "Bench", color: "#4f7cff" }))
    await clients[0]!.acked(project.id)
    // Every device holds the project before the clock starts.
    while (clients.some((c) => c.doc.getMap("projects").get("p") === undefined))
      await new Promise((r) => setTimeout(r, 20))
    Object.assign(imports, { calls: 0, ms: 0 })
    recording = true
    const cpu0 = process.cpuUsage()
    const last: Array<string | null> = clients.map(() => null)
    await Promise.all(
      clients.map(async (c, w) => {
        for (let i = 0; i < edits / writers; i++) {
          const entry = await c.edit((d) => {
            last[w] = createTask(d, {
              id: `r${run}w${w}i${i}`,
              projectId: "p",
              title: `task ${i}`,
              position: { after: last[w], before: null },
            }).id
          })
          await c.acked(entry.id)
        }
      }),
    )
    // Until every device holds every edit.
    const total = () => clients.map((c) => c.doc.getMap("tasks").keys().length)
    while (total().some((n) => n < edits)) await new Promise((r) => setTimeout(r, 20))
    const cpu = process.cpuUsage(cpu0)
    recording = false
    const seen = { ...imports }
    // Floor: the whole document's updates imported by each other device in one bare Loro call.
    const all = clients[0]!.doc.export({ mode: "update" })
    const floorT = performance.now()
    for (let d = 1; d < writers; d++) new LoroDoc().import(all)
    const floorMs = performance.now() - floorT
    results.push({
      cpu: (cpu.user + cpu.system) / 1000 / edits,
      imports: seen.calls / edits,
      importMs: seen.ms / edits,
      sequentialMs: engineWorkloadMsPerEdit(writers, edits),
      concurrentMs: engineWorkloadMsPerEdit(writers, edits, true),
      floorMs: floorMs / edits,
    })
    await Promise.all(clients.map((c) => c.close()))
  }
  const m = (f: (r: (typeof results)[number]) => number) => median(results.map(f))
  rows.push([
    `${writers} devices, ${edits} edits`,
    fmt(
      m((r) => r.cpu),
      2,
    ),
    fmt(
      m((r) => r.imports),
      2,
    ),
    fmt(
      m((r) => r.importMs),
      3,
    ),
    fmt(
      m((r) => r.sequentialMs),
      3,
    ),
    fmt(
      m((r) => r.concurrentMs),
      3,
    ),
    fmt(
      m((r) => r.floorMs),
      3,
    ),
  ])
  console.log(
    table(
      [
        "run",
        "client CPU ms / edit",
        "Loro imports / edit",
        "import ms / edit",
        "floor: the Loro work alone, edits one after another, CPU ms / edit",
        "floor: the same, devices editing concurrently",
        "floor: one bulk import ms / edit",
      ],
      rows,
    ),
  )
} finally {
  await server.stop()
  await db.dispose()
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
}
