import { SqlClient } from "@effect/sql"
import type { DocId, WorkspaceId } from "@vibestack/schema"
import { apiError, type Overloaded, type PayloadTooLarge } from "@vibestack/shared"
import { Effect, FiberRef, FiberSet, Option, Schedule } from "effect"
import { Metrics } from "../metrics/Metrics.js"
import { ServerConfigTag } from "../ServerConfigTag.js"
import { clientKey } from "./clientKey.js"
import type { Rate } from "./TokenBuckets.js"
import { TokenBuckets } from "./TokenBuckets.js"

/** Anonymous routes with a per-address rate limit (S18). */
export type AnonymousRoute = "workspaceCreate" | "backupImport"

/**
 * Seconds a refused request should wait, for the `Retry-After` header: set on the fiber
 * that was refused, read by the HTTP middleware when it writes the 429.
 */
export const RetryAfter = FiberRef.unsafeMake<Option.Option<number>>(Option.none())

/** Fails with Overloaded (429) and sets the answer's `Retry-After` to `seconds` (at least 1). */
export const overloaded = (seconds: number, message: string): Effect.Effect<never, Overloaded> => {
  const r = refusal(seconds, message)
  return Effect.zipRight(FiberRef.set(RetryAfter, Option.some(r.retryAfter)), Effect.fail(r.error))
}

/** Why a push is not let in; `retryAfter` (seconds) for an Overloaded one. */
export interface PushRefusal {
  readonly error: Overloaded | PayloadTooLarge
  readonly retryAfter?: number
}

/** An Overloaded refusal as data: wait `seconds` (at least 1), said in the message too. */
export const refusal = (
  seconds: number,
  message: string,
): { readonly error: Overloaded; readonly retryAfter: number } => {
  const retryAfter = Math.max(1, Math.ceil(seconds))
  return { error: apiError("Overloaded", `${message}; retry in ${retryAfter} s`), retryAfter }
}

/** A workspace's stored usage as last read from `docs`, and what this node let in since. */
interface Usage {
  bytes: number
  docs: ReadonlySet<string>
  pendingBytes: number
  pendingDocs: Set<string>
  readAt: number
  reading: boolean
}

/** Usage is re-read from the database this often while a workspace pushes. */
const USAGE_TTL_MS = 5_000
/** A 413 is only answered from a read this recent (a 429's one-second retry finds one). */
const FRESH_MS = 3_000
const MAX_CACHED_WORKSPACES = 10_000
/** Refusals of one key less than this apart belong to one trip (logged once). */
const TRIP_QUIET_MS = 60_000
const MAX_TRIPS = 100_000

/**
 * Rate limits and quotas (S18, docs/SECURITY.md): per client address on anonymous routes,
 * per workspace on pushes (a rate, stored bytes, documents). Every check is synchronous:
 * a push joins its document's lane before anything asynchronous happens (S11).
 *
 * Quotas compare against the stored usage (read from `docs`, refreshed in the background). A
 * 413 makes the client give up on a change, so it is only answered from a total read in the
 * last few seconds (stored bytes only shrink when an operator repairs a document; documents
 * never go away). Anything less certain gets a 429 instead (retry shortly, by when the usage
 * has been re-read): bytes this node let in since the last read, or an old read.
 *
 * Every refusal is counted (`vibestack_limit_refusals_total{limit}`); a trip (one key's
 * refusals until it has been quiet for a minute) is counted and logged once, at its start.
 */
export class Limits extends Effect.Service<Limits>()("Limits", {
  scoped: Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const metrics = yield* Metrics
    const { limits } = yield* ServerConfigTag
    // Log lines and usage reads started from plain callbacks, supervised by the service's scope.
    const runFork = yield* FiberSet.makeRuntime<never>()
    // Effect's Clock, read synchronously: every check runs on the push path without a fiber.
    const clock = yield* Effect.clock
    const now = () => clock.unsafeCurrentTimeMillis()

    // A trip: a key's refusals with less than TRIP_QUIET_MS between them; logged once, at its start.
    const trips = new Map<string, number>()
    const refused = (limit: string, key: string) => {
      metrics.inc("vibestack_limit_refusals_total", { limit })
      const t = now()
      const id = `${limit}\u0000${key}`
      const last = trips.get(id)
      if (trips.size >= MAX_TRIPS) trips.clear()
      trips.set(id, t)
      if (last !== undefined && t - last < TRIP_QUIET_MS) return
      metrics.inc("vibestack_limit_trips_total", { limit })
      runFork(Effect.logWarning(`limit tripped: ${limit}`).pipe(Effect.annotateLogs({ limit, key })))
    }

    const limiter = (name: string, rate: Rate) => {
      const off = rate.perSecond <= 0 || rate.burst <= 0
      const buckets = new TokenBuckets(off ? { perSecond: 1, burst: 1 } : rate, now)
      return {
        buckets,
        /** 0 when allowed, else seconds to wait. */
        take: (key: string): number => {
          if (off) return 0
          const wait = buckets.take(key)
          if (wait > 0) refused(name, key)
          return wait
        },
      }
    }
    const anonymous: Record<AnonymousRoute, ReturnType<typeof limiter>> = {
      workspaceCreate: limiter("workspace_creates", limits.workspaceCreates),
      backupImport: limiter("backup_imports", limits.backupImports),
    }
    const pushRate = limiter("pushes", limits.pushes)

    // Full buckets and ended trips are forgotten, so memory follows active keys only.
    yield* Effect.forkScoped(
      Effect.repeat(
        Effect.sync(() => {
          for (const l of [...Object.values(anonymous), pushRate]) l.buckets.sweep()
          const t = now()
          for (const [id, last] of trips) if (t - last >= TRIP_QUIET_MS) trips.delete(id)
        }),
        Schedule.spaced("1 minute"),
      ),
    )

    const usage = new Map<string, Usage>()
    const readUsage = (ws: WorkspaceId, u: Usage) => {
      u.reading = true
      const started = now()
      // Let in before the read: stored by now, refused, or (if still in flight) briefly uncounted.
      const before = { bytes: u.pendingBytes, docs: [...u.pendingDocs] }
      runFork(
        sql<{ docId: string; bytes: string | number }>`select doc_id, bytes from docs where workspace_id = ${ws}`.pipe(
          Effect.tap((rows) =>
            Effect.sync(() => {
              u.bytes = rows.reduce((n, r) => n + Number(r.bytes), 0)
              u.docs = new Set(rows.map((r) => r.docId))
              u.pendingBytes = Math.max(0, u.pendingBytes - before.bytes)
              for (const d of before.docs) u.pendingDocs.delete(d)
              u.readAt = started
            }),
          ),
          Effect.catchAllCause((cause) => Effect.logWarning("reading a workspace's usage failed", cause)),
          Effect.ensuring(Effect.sync(() => (u.reading = false))),
        ),
      )
    }
    const usageOf = (ws: WorkspaceId): Usage => {
      let u = usage.get(ws)
      if (!u) {
        if (usage.size >= MAX_CACHED_WORKSPACES) usage.delete(usage.keys().next().value!)
        // Unknown yet: zero is a lower bound of what is stored, so nothing is refused wrongly.
        u = { bytes: 0, docs: new Set(), pendingBytes: 0, pendingDocs: new Set(), readAt: 0, reading: false }
        usage.set(ws, u)
      }
      if (!u.reading && now() - u.readAt > USAGE_TTL_MS) readUsage(ws, u)
      return u
    }

    /** Per client address (IPv6: per /64), for an anonymous route: fails with Overloaded (429, Retry-After). */
    const checkAnonymous = (route: AnonymousRoute, address: string): Effect.Effect<void, Overloaded> =>
      Effect.suspend(() => {
        const wait = anonymous[route].take(clientKey(address))
        return wait === 0 ? Effect.void : overloaded(wait, "too many requests from this address")
      })

    /**
     * One push of `bytes` to `doc` of `ws`: the workspace's push rate (429), then its
     * document and byte quotas (413: the change cannot be stored). Plain and synchronous (the
     * live socket calls it per frame): the refusal, if any, with its Retry-After seconds.
     */
    const admitPush = (ws: WorkspaceId, doc: DocId, bytes: number): PushRefusal | undefined => {
      const wait = pushRate.take(ws)
      if (wait > 0) return refusal(wait, "too many pushes to this workspace")
      const u = usageOf(ws)
      const newDoc = !u.docs.has(doc)
      if (limits.workspaceMaxDocs > 0 && newDoc) {
        if (u.docs.size >= limits.workspaceMaxDocs) {
          refused("workspace_docs", ws)
          return {
            error: apiError("PayloadTooLarge", `a workspace may hold at most ${limits.workspaceMaxDocs} documents`),
          }
        }
        if (!u.pendingDocs.has(doc) && u.docs.size + u.pendingDocs.size >= limits.workspaceMaxDocs) {
          metrics.inc("vibestack_limit_refusals_total", { limit: "workspace_docs_unconfirmed" })
          if (!u.reading) readUsage(ws, u)
          return refusal(1, "the workspace is at its document quota")
        }
      }
      if (limits.workspaceMaxBytes > 0) {
        if (u.bytes + bytes > limits.workspaceMaxBytes && now() - u.readAt <= FRESH_MS) {
          refused("workspace_bytes", ws)
          return {
            error: apiError(
              "PayloadTooLarge",
              `the workspace's storage quota (${limits.workspaceMaxBytes} bytes) is used up`,
            ),
          }
        }
        if (u.bytes + u.pendingBytes + bytes > limits.workspaceMaxBytes) {
          metrics.inc("vibestack_limit_refusals_total", { limit: "workspace_bytes_unconfirmed" })
          if (!u.reading) readUsage(ws, u)
          return refusal(1, "the workspace is at its storage quota")
        }
      }
      u.pendingBytes += bytes
      if (newDoc) u.pendingDocs.add(doc)
      return undefined
    }

    return { checkAnonymous, admitPush } as const
  }),
}) {}
