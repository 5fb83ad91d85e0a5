import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { api, updateChain } from "../http.js"
import { freePort, startTestPg, type TestPg } from "../pg.js"
import { referenceDoc } from "./checkInvariants.js"
import { skewEnv } from "./faketime.js"
import { stateJson } from "./faultEdits.js"
import { JWT_SECRET } from "./faultRun.js"
import { ServerProcess } from "./ServerProcess.js"
import { readServerLog } from "./serverLog.js"

/**
 * Full tier. F9's quick test sends every push of a workspace through one node; this one
 * spreads them over two nodes 20 min apart, as a load balancer would. It found a bug that had
 * nothing to do with clocks (it failed the same with both clocks real): each node validated
 * pushes against its own cached pool copy, never refreshed by other nodes' commits. Fixed by
 * S12 (apps/server/SPEC.md); this stays as its regression.
 */

let pg: TestPg
const procs: Array<ServerProcess> = []
const dataDirs: Array<string> = []
beforeAll(async () => {
  pg = await startTestPg()
  for (const [name, offset] of [
    ["ahead", "+600s"],
    ["behind", "-600s"],
  ] as const) {
    const dataDir = mkdtempSync(join(tmpdir(), "vibestack-f9-"))
    dataDirs.push(dataDir)
    procs.push(
      new ServerProcess(
        {
          DATABASE_URL: pg.url,
          VIBESTACK_DATA_DIR: dataDir,
          VIBESTACK_JWT_SECRET: JWT_SECRET,
          VIBESTACK_NODE_ID: `f9-${name}`,
          ...skewEnv(offset),
        },
        await freePort(),
      ),
    )
  }
  for (const p of procs) await p.start()
}, 180_000)
afterAll(async () => {
  for (const p of procs) await p.stop().catch(() => {})
  await pg?.dispose()
  for (const d of dataDirs) rmSync(d, { recursive: true, force: true })
})

describe("F9 skewed nodes sharing one document (full tier)", () => {
  it("[F9] one writer's chain pushed alternately through nodes +10 and −10 min: every push accepted, each node serves the whole log", async () => {
    const [a, b] = procs as [ServerProcess, ServerProcess]
    const { workspaceId: ws, masterToken: t } = await api(a.url).register("f9-two-nodes")
    const chain = updateChain(4) // each update depends on the one before
    const statuses: Array<string> = []
    for (const [i, u] of chain.entries()) {
      const node = i % 2 === 0 ? a : b
      const r = await api(node.url).push(ws, t, u, `k${i}`)
      statuses.push(`${i}:${r.status}${r.status === 200 ? "" : ` ${JSON.stringify(r.json)}`}`)
    }
    expect(statuses).toEqual(chain.map((_, i) => `${i}:200`))
    const ref = referenceDoc(await readServerLog(pg.url, ws))
    for (const node of procs) {
      const served = (await api(node.url).newDevice(ws, t)).doc
      expect(stateJson(served), `snapshot and log served by port ${node.port}`).toBe(stateJson(ref))
    }
  }, 120_000)
})
