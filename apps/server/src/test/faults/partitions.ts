import { AuditLog } from "./AuditTransport.js"
import { Fleet } from "./Fleet.js"
import { runSeed, seeded, settleAndCheck, sleep } from "./faultRun.js"
import { HealthSampler } from "./HealthSampler.js"
import type { ProxyMode } from "./TcpProxy.js"
import { startTcpProxy } from "./TcpProxy.js"

export interface PartitionResult {
  readonly seed: number
  readonly rows: number
  readonly acked: number
  readonly failedPushes: number
  /** Per blackhole phase: ms until every client's heartbeat gave up on its half-open socket. */
  readonly halfOpenDetectedMs: Array<number>
  readonly healthSamples: number
  readonly healthMisses: ReadonlyArray<string>
}

/**
 * F3: clients reach the server only through a TCP proxy that cycles through drop,
 * blackhole, reset and latency (in a seeded order, `rounds` times) while they edit, and
 * heals after each. /healthz is sampled directly all along (I8).
 */
export const runPartitions = async (o: {
  readonly serverUrl: string
  readonly serverPort: number
  readonly databaseUrl: string
  readonly clients: number
  readonly rounds: number
  readonly faultMs: number
  readonly seed?: number
}): Promise<PartitionResult> => {
  const seed = runSeed("F3", o.seed)
  const random = seeded(seed)
  const audit = new AuditLog()
  const proxy = await startTcpProxy({ port: o.serverPort })
  const health = new HealthSampler(o.serverUrl).start()
  const pingIntervalMs = 1_000
  const fleet = await Fleet.create({
    url: proxy.url,
    directUrl: o.serverUrl,
    clients: o.clients,
    audit,
    pingIntervalMs,
  })
  const halfOpenDetectedMs: Array<number> = []
  try {
    let n = 0
    const editFor = async (ms: number) => {
      const until = Date.now() + ms
      while (Date.now() < until) {
        await fleet.edit(Math.floor(random() * o.clients), n++)
        await sleep(20 + Math.floor(random() * 80))
      }
    }
    const modes: Array<ProxyMode> = ["drop", "blackhole", "reset", "latency", "dropResponses"]
    for (let r = 0; r < o.rounds; r++) {
      const order = [...modes].sort(() => random() - 0.5)
      for (const mode of order) {
        const q = Date.now()
        await fleet.quiesce(60_000) // every client live before the fault, so a blackhole hits open sockets
        if (process.env.VIBESTACK_FAULT_DEBUG)
          console.log(`[faults] F3 before ${mode}: quiet after ${Date.now() - q} ms`)
        proxy.setMode(mode, { latencyMs: 50 + Math.floor(random() * 250) })
        const t0 = Date.now()
        if (mode === "blackhole") {
          // Half-open sockets: nothing closes them, only the client's heartbeat can notice.
          for (let i = 0; i < 100 && fleet.members.some((m) => m.client.status.state === "live"); i++) {
            await fleet.edit(Math.floor(random() * o.clients), n++)
            await sleep(100)
          }
          if (fleet.members.some((m) => m.client.status.state === "live"))
            throw new Error(`seed ${seed}: half-open sockets not detected within 10 s`)
          halfOpenDetectedMs.push(Date.now() - t0)
        }
        await editFor(o.faultMs)
        proxy.setMode("pass")
        await editFor(Math.floor(o.faultMs / 4))
      }
    }
    const res = await settleAndCheck({ pg: { url: o.databaseUrl }, audit }, fleet, seed)
    await health.stop()
    const out = {
      seed,
      ...res,
      halfOpenDetectedMs,
      healthSamples: health.samples,
      healthMisses: health.misses,
    }
    console.log(`[faults] F3 seed=${seed}: ${JSON.stringify({ ...out, healthMisses: out.healthMisses.length })}`)
    return out
  } finally {
    await health.stop()
    await fleet.close()
    await proxy.close()
  }
}
