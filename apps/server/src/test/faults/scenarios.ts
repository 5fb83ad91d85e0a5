import { Fleet } from "./Fleet.js"
import { runSeed, type Stage, seeded, settleAndCheck, sleep } from "./faultRun.js"

/**
 * F1: clients edit while the server is SIGKILLed at a random moment, edit on while it is
 * down, then it comes back; `kills` times. Clients reconnect on their own backoff.
 */
export const runServerKills = async (
  stage: Stage,
  o: {
    readonly kills: number
    readonly clients: number
    readonly editsPerRound: number
    readonly seed?: number
    readonly nudge?: boolean
  },
) => {
  const seed = runSeed("F1", o.seed)
  const random = seeded(seed)
  const fleet = await Fleet.create({
    url: stage.server.url,
    directUrl: stage.server.url,
    clients: o.clients,
    audit: stage.audit,
  })
  try {
    let n = 0
    for (let k = 0; k < o.kills; k++) {
      const killAt = Math.floor(random() * o.editsPerRound)
      for (let e = 0; e < o.editsPerRound; e++) {
        if (e === killAt) await stage.server.kill()
        await fleet.edit(Math.floor(random() * o.clients), n++)
        await sleep(Math.floor(random() * 40))
      }
      const t0 = Date.now()
      await stage.server.start()
      console.log(
        `[faults] F1 restart ${k + 1}: ${Date.now() - t0} ms, first pool request ${stage.server.coldMs.at(-1)} ms`,
      )
    }
    // The network is back: like a browser's `online` event, reconnect now rather than after
    // the backoff (up to 30 s) the outages built up. The full tier leaves this out.
    if (o.nudge ?? true) fleet.nudge()
    const t1 = Date.now()
    const r = await settleAndCheck(stage, fleet, seed)
    console.log(`[faults] F1 quiesce+check took ${Date.now() - t1} ms`)
    console.log(
      `[faults] F1 seed=${seed}: ${o.kills} kills, ${r.rows} rows, ${r.acked} acks, ${r.failedPushes} failed pushes`,
    )
    return r
  } finally {
    await fleet.close()
  }
}
