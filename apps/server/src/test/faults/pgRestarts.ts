import { loroUpdate } from "../http.js"
import type { TestServer } from "../server.js"
import { AuditLog, hashBytes } from "./AuditTransport.js"
import { Fleet } from "./Fleet.js"
import { runSeed, seeded, settleAndCheck, sleep } from "./faultRun.js"
import { HealthSampler } from "./HealthSampler.js"
import type { RestartablePg } from "./RestartablePg.js"

export interface PgRestartResult {
  readonly seed: number
  readonly rows: number
  readonly acked: number
  readonly failedPushes: number
  /** HTTP status of every push a client attempted while Postgres was down (0: no answer). */
  readonly outageStatuses: Record<string, number>
  readonly healthMisses: ReadonlyArray<string>
}

/**
 * F2: Postgres is stopped (fast, then immediate, alternating) while clients edit, kept down
 * for `downMs`, and started again on the same port. Pushes made while it is down must fail
 * retryably (the audit log holds every acknowledgement; I1 checks each one is in the log).
 */
export const runPgRestarts = async (o: {
  readonly pg: RestartablePg
  readonly server: TestServer
  readonly clients: number
  readonly restarts: number
  readonly downMs: number
  readonly seed?: number
}): Promise<PgRestartResult> => {
  const seed = runSeed("F2", o.seed)
  const random = seeded(seed)
  const audit = new AuditLog()
  const health = new HealthSampler(o.server.url).start()
  const fleet = await Fleet.create({ url: o.server.url, directUrl: o.server.url, clients: o.clients, audit })
  const outageStatuses: Record<string, number> = {}
  try {
    let n = 0
    for (let r = 0; r < o.restarts; r++) {
      for (let e = 0; e < 8; e++) {
        await fleet.edit(Math.floor(random() * o.clients), n++)
        await sleep(Math.floor(random() * 60))
      }
      await o.pg.stop(r % 2 === 0 ? "fast" : "immediate")
      const upAgain = Date.now() + o.downMs
      while (Date.now() < upAgain) {
        await fleet.edit(Math.floor(random() * o.clients), n++)
        await sleep(50)
      }
      // What a push gets while the database is down (a raw one, so we see the status).
      const bytes = loroUpdate(1, BigInt(9_000 + r))
      const res = await fetch(`${o.server.url}/api/v1/workspaces/${fleet.workspaceId}/docs/main/updates`, {
        method: "POST",
        headers: {
          authorization: `Bearer ${fleet.masterToken}`,
          "idempotency-key": `outage-${r}`,
          "content-type": "application/octet-stream",
        },
        body: bytes,
        signal: AbortSignal.timeout(10_000),
      }).catch(() => undefined)
      const k = String(res?.status ?? 0)
      console.log(`[faults] F2 push during outage ${r}: ${k} after ${Date.now() - upAgain} ms`)
      audit.pushes.push({
        client: "raw",
        workspaceId: fleet.workspaceId,
        docId: "main",
        key: `outage-${r}`,
        hash: hashBytes(bytes),
        outcome: res?.status === 200 ? "ack" : "error",
        ...(res?.status === 200 ? { seq: ((await res.clone().json()) as { seq: number }).seq } : {}),
      })
      outageStatuses[k] = (outageStatuses[k] ?? 0) + 1
      await res?.arrayBuffer()
      await o.pg.start()
    }
    fleet.nudge()
    // Reconnect everyone once more after the outboxes drained (a reconnect pulls to the head),
    // so this run checks I1–I4. It was added while the live fan-out went silent after a
    // Postgres restart (found here, fixed since: `ListenAfterPgRestart.pg.test.ts` guards it).
    for (let i = 0; i < 600 && fleet.members.some((m) => m.client.status.pending > 0); i++) await sleep(100)
    fleet.nudge()
    const res = await settleAndCheck({ pg: { url: o.pg.url }, audit }, fleet, seed, 90_000)
    await health.stop()
    const out = { seed, ...res, outageStatuses, healthMisses: health.misses }
    console.log(`[faults] F2 seed=${seed}: ${JSON.stringify({ ...out, statuses: [...health.statuses] })}`)
    return out
  } finally {
    await health.stop()
    await fleet.close()
  }
}
