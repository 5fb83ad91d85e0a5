import type { FeedProbe, ProjectionProbe } from "../http/HealthProbes.js"
import type { HealthConfig } from "./HealthConfig.js"
import type { RecycleEvent } from "./PoolEvents.js"

/**
 * ok: nothing to do. degraded: the node serves, but something an operator should look at
 * is past its threshold (lag, saturation, recycles): /readyz stays 200 so a fleet-wide
 * problem (every node's projection behind the same database) does not take every node out
 * of rotation. unavailable: this node cannot serve correctly (no database, or deaf to other
 * nodes' commits and revocations): /readyz answers 503.
 */
export type CheckStatus = "ok" | "degraded" | "unavailable"

export interface Check {
  readonly name: "database" | "listen" | "projection" | "feed" | "pool"
  readonly status: CheckStatus
  /** Why, in words an operator can act on (also when ok: what was looked at). */
  readonly reason: string
}

/** What the node observed, gathered by `Readiness`; judged here without IO. */
export interface Observed {
  readonly database: { readonly ok: true } | { readonly ok: false; readonly error: string }
  readonly listen: { readonly up: boolean; readonly since: number }
  readonly projection: ProjectionProbe | undefined
  readonly feed: FeedProbe | undefined
  /** Most pushes waiting for the pool at once within the saturation window (undefined: no push path here). */
  readonly pushQueueHigh: number | undefined
  /** Pool recycles within the recycle window. */
  readonly recycles: ReadonlyArray<RecycleEvent>
}

const RANK: Record<CheckStatus, number> = { ok: 0, degraded: 1, unavailable: 2 }
export const worst = (checks: ReadonlyArray<Check>): CheckStatus =>
  checks.reduce<CheckStatus>((w, c) => (RANK[c.status] > RANK[w] ? c.status : w), "ok")
export const statusRank = (s: CheckStatus) => RANK[s]

const mib = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MiB`
const secs = (ms: number) => `${Math.round(ms / 1000)} s`

export const judge = (o: Observed, cfg: HealthConfig, now: number): ReadonlyArray<Check> => [
  o.database.ok
    ? { name: "database", status: "ok", reason: "Postgres answers" }
    : { name: "database", status: "unavailable", reason: `Postgres unreachable: ${o.database.error}` },
  o.listen.up
    ? { name: "listen", status: "ok", reason: `LISTEN up for ${secs(now - o.listen.since)}` }
    : {
        name: "listen",
        status: "unavailable",
        reason: `LISTEN connection down for ${secs(now - o.listen.since)}: other nodes' commits and token revocations are not heard`,
      },
  judgeProjection(o.projection, cfg),
  judgeFeed(o.feed, cfg),
  judgePool(o, cfg),
]

const judgeProjection = (p: ProjectionProbe | undefined, cfg: HealthConfig): Check => {
  if (p === undefined) return { name: "projection", status: "ok", reason: "the projection does not run on this node" }
  const failing = p.failingDocs > 0 ? `; ${p.failingDocs} document(s) failing, retried with backoff` : ""
  const figures = `${p.lag} update(s) behind, oldest ${Math.round(p.lagSeconds)} s`
  if (p.lag > cfg.projectionLag || p.lagSeconds > cfg.projectionLagSeconds)
    return {
      name: "projection",
      status: "degraded",
      reason: `projection lag ${figures} (thresholds ${cfg.projectionLag} updates, ${cfg.projectionLagSeconds} s)${failing}`,
    }
  return { name: "projection", status: "ok", reason: `${figures}${failing}` }
}

const judgeFeed = (f: FeedProbe | undefined, cfg: HealthConfig): Check => {
  if (f === undefined) return { name: "feed", status: "ok", reason: "no change-feed consumer on this node" }
  const problems: Array<string> = []
  if (f.status === "down") problems.push("no WAL consumer is reading the slot")
  else if (f.status === "stalled" || f.status === "stopped") problems.push(`the WAL consumer is ${f.status}`)
  if (f.walStatus === "unreserved" || f.walStatus === "lost")
    problems.push(`the slot's WAL is ${f.walStatus} (consumers will get must-refetch)`)
  if (f.lagBytes !== null && f.lagBytes > cfg.slotLagBytes)
    problems.push(`slot lag ${mib(f.lagBytes)} (threshold ${mib(cfg.slotLagBytes)})`)
  if (f.retainedBytes !== null && f.retainedBytes > cfg.walRetainedBytes)
    problems.push(`WAL retained ${mib(f.retainedBytes)} (threshold ${mib(cfg.walRetainedBytes)})`)
  if (f.lagSeconds !== null && f.lagSeconds > cfg.feedLagSeconds)
    problems.push(`feed lag ${Math.round(f.lagSeconds)} s (threshold ${cfg.feedLagSeconds} s)`)
  if (problems.length > 0) return { name: "feed", status: "degraded", reason: problems.join("; ") }
  const lag = f.lagBytes === null ? "no slot yet" : `slot lag ${mib(f.lagBytes)}`
  return { name: "feed", status: "ok", reason: `consumer ${f.status}, ${lag}` }
}

const judgePool = (o: Observed, cfg: HealthConfig): Check => {
  const problems: Array<string> = []
  if (o.pushQueueHigh !== undefined && o.pushQueueHigh >= cfg.pushQueue)
    problems.push(
      `saturated: up to ${o.pushQueueHigh} pushes waited for the pool in the last ${cfg.saturationWindowSeconds} s (threshold ${cfg.pushQueue})`,
    )
  if (o.recycles.length >= cfg.poolRecycles) {
    const last = o.recycles[o.recycles.length - 1]!
    const docs = last.docs.length > 0 ? ` on ${last.docs.slice(0, 3).join(", ")}` : ""
    problems.push(
      `recycling: ${o.recycles.length} worker recycles in the last ${cfg.recycleWindowSeconds} s (last: ${last.pool} pool, ${last.reason}${docs})`,
    )
  }
  if (problems.length > 0) return { name: "pool", status: "degraded", reason: problems.join("; ") }
  return {
    name: "pool",
    status: "ok",
    reason: `${o.pushQueueHigh ?? 0} pushes waiting at most, ${o.recycles.length} recycles in the last ${cfg.recycleWindowSeconds} s`,
  }
}
