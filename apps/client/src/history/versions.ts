import { readWorkspace, type WorkspaceView } from "@vibestack/schema"
import type { LoroDoc, PeerID } from "loro-crdt"

/** One point in the document's history: the state right after one (merged) Loro change. */
export interface DocVersionPoint {
  /** Stable key: `counter@peer` of the change's last op. */
  readonly key: string
  readonly peer: PeerID
  readonly lamport: number
  /** Seconds since the epoch, or 0 if the writer did not record time. */
  readonly timestamp: number
  readonly message: string | undefined
  readonly ops: number
  readonly frontiers: ReadonlyArray<{ readonly peer: PeerID; readonly counter: number }>
}

/** The document's versions, newest first (by Lamport time, which respects causality). */
export const listVersions = (doc: LoroDoc, limit = 500): ReadonlyArray<DocVersionPoint> => {
  const out: Array<DocVersionPoint> = []
  for (const [peer, changes] of doc.getAllChanges()) {
    for (const c of changes) {
      const last = c.counter + c.length - 1
      out.push({
        key: `${last}@${peer}`,
        peer,
        lamport: c.lamport + c.length - 1,
        timestamp: c.timestamp,
        message: c.message,
        ops: c.length,
        frontiers: [{ peer, counter: last }],
      })
    }
  }
  out.sort((a, b) => b.lamport - a.lamport || (a.peer < b.peer ? -1 : a.peer > b.peer ? 1 : 0))
  return out.slice(0, limit)
}

/**
 * The workspace as it was at a version: read from a scratch fork at those frontiers, never
 * from the live document (a checkout would make it read-only until `checkoutToLatest`).
 * The fork is freed at once; it never commits, so its random peer id never matters.
 */
export const viewAt = (doc: LoroDoc, frontiers: DocVersionPoint["frontiers"]): WorkspaceView => {
  const fork = doc.forkAt(frontiers.map((f) => ({ peer: f.peer, counter: f.counter })))
  try {
    return readWorkspace(fork)
  } finally {
    fork.free()
  }
}
