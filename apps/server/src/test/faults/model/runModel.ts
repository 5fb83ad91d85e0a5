import fc from "fast-check"
import { api, loroUpdate } from "../../http.js"
import { startTestPg } from "../../pg.js"
import { startTestServer } from "../../server.js"
import { runSeed } from "../faultRun.js"
import { commandArbitraries, type MixOptions } from "./commands.js"
import { checkAll, setupRun } from "./Real.js"

/**
 * One real server on its own Postgres for L5 runs, its Loro pool warmed (a push answered) so
 * the first command does not pay the workers' start.
 */
export const startL5Server = async () => {
  const pg = await startTestPg()
  const server = await startTestServer({ pg })
  const http = api(server.url)
  const { workspaceId, masterToken } = await http.register("L5 warm-up")
  const warm = await http.push(workspaceId, masterToken, loroUpdate(1, 1n), "warm")
  if (warm.status !== 200) throw new Error(`warm-up push answered ${warm.status}`)
  return {
    url: server.url,
    dispose: async () => {
      await server.stop()
      await pg.dispose()
    },
  }
}

export interface L5Stats {
  seed: number
  /** Property runs, including the ones fast-check made while shrinking a failure. */
  runs: number
  commands: number
  byCommand: Record<string, number>
  ms: number
}

/**
 * The L5 model-based run against a running server: `runs` sequences of up to
 * `maxCommands` commands, each on a fresh workspace, each ending with a full check
 * (logs byte for byte, cursors, sockets). The seed is printed first; a failure is
 * shrunk by fast-check and printed with its command list.
 */
export const runL5 = async (
  base: string,
  options: { runs: number; maxCommands: number; label: string } & MixOptions,
) => {
  const seed = runSeed(`L5 ${options.label}`)
  const stats: L5Stats = { seed, runs: 0, commands: 0, byCommand: {}, ms: 0 }
  const started = performance.now()
  await fc.assert(
    fc.asyncProperty(
      fc.commands(commandArbitraries(options), { maxCommands: options.maxCommands, size: "max" }),
      async (cmds) => {
        const runId = ++stats.runs
        const { model, real } = await setupRun(base, runId)
        try {
          await fc.asyncModelRun(() => ({ model, real }), cmds)
          await checkAll(model, real)
        } finally {
          await real.closeAll()
          // Commands whose check() failed against the model were skipped, not run.
          for (const c of cmds as Iterable<{ hasRan: boolean; cmd: { blob?: string; usedSocket?: boolean } }>) {
            if (!c.hasRan) continue
            const name =
              c.cmd.constructor.name.replace(/Cmd$/, "") +
              (c.cmd.blob ? `:${c.cmd.blob}` : "") +
              (c.cmd.usedSocket ? "@socket" : "")
            stats.byCommand[name] = (stats.byCommand[name] ?? 0) + 1
            stats.commands++
          }
        }
      },
    ),
    { seed, numRuns: options.runs },
  )
  stats.ms = Math.round(performance.now() - started)
  console.log(`[faults] L5 ${options.label}: ${JSON.stringify(stats)}`)
  return stats
}
