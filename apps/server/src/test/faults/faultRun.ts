import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { nextRandom } from "@vibestack/shared"
import { freePort, startTestPg, type TestPg } from "../pg.js"
import { AuditLog } from "./AuditTransport.js"
import { checkInvariants } from "./checkInvariants.js"
import type { Fleet } from "./Fleet.js"
import { ServerProcess } from "./ServerProcess.js"
import { readServerLog } from "./serverLog.js"

export const JWT_SECRET = "fault-harness-secret-that-is-long-enough-for-hs256"

/** A seeded PRNG in [0, 1) (the sync core's mulberry32). */
export const seeded = (seed: number): (() => number) => {
  let s = seed
  return () => {
    const r = nextRandom(s)
    s = r.seed
    return r.value
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** The seed for a run: `VIBESTACK_FAULT_SEED` to replay one, else fresh; always printed. */
export const runSeed = (name: string, fixed?: number): number => {
  const env = process.env.VIBESTACK_FAULT_SEED
  const seed = fixed ?? (env ? Number(env) : Math.floor(Math.random() * 2 ** 31))
  console.log(`[faults] ${name} seed=${seed} (replay: VIBESTACK_FAULT_SEED=${seed})`)
  return seed
}

/** Test Postgres + `vibestack serve` child on it; everything a fault run tears down. */
export interface Stage {
  readonly pg: TestPg
  readonly server: ServerProcess
  readonly audit: AuditLog
  readonly dispose: () => Promise<void>
}

export const startStage = async (extraEnv: Record<string, string> = {}, pg?: TestPg): Promise<Stage> => {
  const db = pg ?? (await startTestPg())
  const dataDir = mkdtempSync(join(tmpdir(), "vibestack-faults-"))
  const server = new ServerProcess(
    {
      DATABASE_URL: db.url,
      VIBESTACK_DATA_DIR: dataDir,
      VIBESTACK_JWT_SECRET: JWT_SECRET,
      VIBESTACK_NODE_ID: "faults",
      ...extraEnv,
    },
    await freePort(),
  )
  await server.start()
  return {
    pg: db,
    server,
    audit: new AuditLog(),
    dispose: async () => {
      await server.stop().catch(() => {})
      if (!pg) await db.dispose()
      rmSync(dataDir, { recursive: true, force: true })
    },
  }
}

/** Quiesces the fleet, then checks I1–I4 against the log in SQL; throws with the seed on violation. */
export const settleAndCheck = async (
  stage: { readonly pg: { readonly url: string }; readonly audit: AuditLog },
  fleet: Fleet,
  seed: number,
  timeoutMs = 60_000,
): Promise<{ rows: number; acked: number; failedPushes: number }> => {
  await fleet.quiesce(timeoutMs)
  const log = await readServerLog(stage.pg.url, fleet.workspaceId)
  const bad = await checkInvariants(log, stage.audit, fleet.checked())
  if (bad.length > 0) throw new Error(`seed ${seed} violated ${bad.length} invariants:\n${bad.slice(0, 30).join("\n")}`)
  const acked = stage.audit.acked().length
  const failedPushes = stage.audit.pushes.length - acked
  return { rows: log.length, acked, failedPushes }
}
