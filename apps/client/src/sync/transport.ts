import type { DocId, WorkspaceId } from "@vibestack/schema"
import { HttpTransport, type Transport } from "@vibestack/shared"

/** The worker's transport: the same-origin server (the server serves this app). */
export const makeTransport = (baseUrl: string, options?: { readonly requestTimeoutMs?: number }): Transport =>
  new HttpTransport({ baseUrl, ...options })

/** A prefetched snapshot nobody asked for by then is dropped (its engine never started). */
const UNCLAIMED_MS = 30_000

/**
 * A new device's first snapshot, requested before its engine can start: the leader's engines
 * wait for Loro, which a first visit compiles for a few hundred milliseconds, and the download
 * does not need it. The engine's own `snapshot` call then takes the answer already under way
 * (once; a later call asks the server again). Errors reach that call unchanged.
 */
export const prefetchingSnapshots = (t: Transport) => {
  const early = new Map<string, ReturnType<Transport["snapshot"]>>()
  const key = (token: string, ws: WorkspaceId, doc: DocId) => `${ws}\n${doc}\n${token}`
  const transport: Transport = {
    register: t.register,
    info: t.info,
    push: t.push,
    pull: t.pull,
    connectLive: t.connectLive,
    snapshot: (token, ws, doc) => {
      const k = key(token, ws, doc)
      const started = early.get(k)
      if (started === undefined) return t.snapshot(token, ws, doc)
      early.delete(k)
      return started
    },
  }
  const prefetch = (token: string, ws: WorkspaceId, doc: DocId): void => {
    const k = key(token, ws, doc)
    if (early.has(k)) return
    const started = t.snapshot(token, ws, doc)
    // Whoever claims it sees the failure; unclaimed, it is no one's error.
    started.catch(() => undefined)
    early.set(k, started)
    setTimeout(() => {
      if (early.get(k) === started) early.delete(k)
    }, UNCLAIMED_MS)
  }
  return { transport, prefetch }
}
