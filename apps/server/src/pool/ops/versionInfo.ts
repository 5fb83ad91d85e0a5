import type { LoroDoc } from "loro-crdt"
import type { PoolOp } from "./PoolOp.js"

export interface VersionInfo {
  /** Version vector of the committed state: peer id (decimal string) → next counter. */
  readonly versionVector: Record<string, number>
  readonly frontiers: ReadonlyArray<{ readonly peer: string; readonly counter: number }>
  readonly changeCount: number
  readonly opCount: number
  readonly seq: number
}

/** Version vector, frontiers and change count of the committed state. */
export const versionInfo: PoolOp<void, VersionInfo> = (ctx) =>
  ctx.atCommitted((doc) => {
    const vv = doc.version().toJSON()
    const versionVector: Record<string, number> = {}
    for (const [peer, counter] of vv) versionVector[String(peer)] = counter
    return {
      versionVector,
      frontiers: doc.frontiers().map((id) => ({ peer: String(id.peer), counter: id.counter })),
      // With ops checked out, count only the committed part of the oplog.
      changeCount: doc.isDetached() ? countChanges(doc, vv) : doc.changeCount(),
      opCount: doc.isDetached() ? sumCounters(vv) : doc.opCount(),
      seq: ctx.committedSeq,
    }
  })

/** Changes that start inside the committed version (approximate if Loro merged a change across a batch). */
const countChanges = (doc: LoroDoc, vv: Map<`${number}`, number>): number => {
  let n = 0
  for (const [peer, changes] of doc.getAllChanges()) {
    const end = vv.get(peer) ?? 0
    for (const change of changes) if (change.counter < end) n++
  }
  return n
}

const sumCounters = (vv: Map<`${number}`, number>): number => {
  let n = 0
  for (const c of vv.values()) n += c
  return n
}
