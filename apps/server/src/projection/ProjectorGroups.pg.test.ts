import { Layer } from "effect"
import type pg from "pg"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { startTestServer, type TestServer } from "../test/server.js"
import { ProjectionFaults } from "./ProjectionFaults.js"
import { connect, expectedTables, pushingWorkspace, readTables, stuckAt, waitProjected } from "./test/projectionKit.js"
import { randomEdit, seededRandom } from "./test/workload.js"

/**
 * Group turns (`projectGroup`): documents of many workspaces ready at once are projected with
 * one read, one pool message and one statement, and each keeps its own outcome: a document
 * that fails in a group runs alone, fails there, and backs off, while the rest of its group
 * lands.
 */
const failing = new Set<string>()
const faults = stuckAt("imported", failing)

let server: TestServer
let db: pg.Client
beforeAll(async () => {
  server = await startTestServer({ layer: Layer.succeed(ProjectionFaults, faults) })
  db = await connect(server.pg.url)
})
afterAll(async () => {
  await db?.end()
  await server?.stop()
})

const newWorkspace = () => pushingWorkspace(server.url)

/** Samples of one metric (summed over its labels), from /metrics. */
const metric = async (name: string) => {
  const text = await (await fetch(`${server.url}/metrics`)).text()
  let sum = 0
  for (const line of text.split("\n"))
    if (line.startsWith(`${name} `) || line.startsWith(`${name}{`)) sum += Number(line.split(" ").at(-1))
  return sum
}

/** Turns that projected at least two documents together. */
const groupTurns = async () =>
  (await metric("vibestack_projection_group_docs_count")) -
  Number(
    /vibestack_projection_group_docs_bucket\{le="1"\} (\d+)/.exec(
      await (await fetch(`${server.url}/metrics`)).text(),
    )?.[1] ?? 0,
  )

describe("Projector group turns", () => {
  it("[I5] edits in many workspaces at once project in groups, and every workspace's rows equal its document", async () => {
    const seed = Number(process.env.PROJECTION_SEED ?? Date.now() % 100_000)
    console.log(`projection group workload seed ${seed}`)
    const random = seededRandom(seed)
    const spaces = await Promise.all(Array.from({ length: 12 }, newWorkspace))
    // A document's first batch runs alone (it may start from a snapshot); the rest may be grouped.
    for (const s of spaces) randomEdit(s.doc, random)
    await Promise.all(spaces.map((s) => s.client.flush()))
    for (const s of spaces) await waitProjected(db, s.ws)
    const before = await groupTurns()
    for (let round = 0; round < 5; round++) {
      for (const s of spaces) for (let i = 0; i < 1 + Math.floor(random() * 6); i++) randomEdit(s.doc, random)
      await Promise.all(spaces.map((s) => s.client.flush()))
    }
    for (const s of spaces) {
      await waitProjected(db, s.ws)
      expect(await readTables(db, s.ws), `seed ${seed}`).toEqual(expectedTables(s.doc, s.ws))
    }
    expect(await groupTurns(), "turns of several documents").toBeGreaterThan(before)
  })

  it("[O4] a document that fails in a group backs off alone; the others of its group land", async () => {
    const random = seededRandom(7)
    const spaces = await Promise.all(Array.from({ length: 8 }, newWorkspace))
    // Each is projected once (a group skips documents never projected), then one of them sticks.
    for (const s of spaces) randomEdit(s.doc, random)
    await Promise.all(spaces.map((s) => s.client.flush()))
    for (const s of spaces) await waitProjected(db, s.ws)
    const stuck = spaces[3]!
    failing.add(stuck.ws)
    const failuresBefore = await metric("vibestack_projection_failures_total")
    const groupsBefore = await groupTurns()
    for (let round = 0; round < 3; round++) {
      for (const s of spaces) randomEdit(s.doc, random)
      await Promise.all(spaces.map((s) => s.client.flush()))
    }
    for (const s of spaces.filter((x) => x !== stuck)) {
      await waitProjected(db, s.ws)
      expect(await readTables(db, s.ws)).toEqual(expectedTables(s.doc, s.ws))
    }
    expect(await groupTurns(), "the edits were projected in groups").toBeGreaterThan(groupsBefore)
    const deadline = Date.now() + 30_000
    while ((await metric("vibestack_projection_failures_total")) === failuresBefore && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50))
    expect(await metric("vibestack_projection_failures_total")).toBeGreaterThan(failuresBefore)
    // Only the stuck document backs off (a failed group does not fail its other documents).
    expect(await metric("vibestack_projection_backoff_docs")).toBeLessThanOrEqual(1)
    const lag = await db.query(
      `select d.last_seq - p.projected_seq as lag from docs d join projection_state p using (workspace_id, doc_id)
       where d.workspace_id = $1`,
      [stuck.ws],
    )
    expect(Number(lag.rows[0]?.lag)).toBeGreaterThan(0)
    // Released, it catches up after its backoff.
    failing.delete(stuck.ws)
    await waitProjected(db, stuck.ws)
    expect(await readTables(db, stuck.ws)).toEqual(expectedTables(stuck.doc, stuck.ws))
  })
})
