import {
  type Container,
  type ContainerID,
  type Diff,
  decodeImportBlobMeta,
  type Frontiers,
  LoroDoc,
  type Path,
  type PeerID,
  VersionVector,
} from "loro-crdt"
import type { ChangeDiff } from "./changeSummary.js"
import type { StoredDoc } from "./LocalStore.js"
import { storedBlobs } from "./LoroDocHost.js"

/**
 * The Loro machinery behind rebase and retry (`rebase.ts`, SPEC C14/C15): given the device's
 * document and a run of its local changes in order, rebuild the document from a base version
 * and re-apply some of the changes as new operations while leaving others out.
 *
 * Loro ops are causal: a change made after a refused one depends on it, so the server refuses
 * it too. Its effect, though, can be re-applied as new ops under a fresh peer id:
 *  - every change's effect is read as a diff, by importing the changes one by one into a copy
 *    of the base (`readDiffs`): the import events say what each change did, in the device's
 *    own terms;
 *  - map edits are keyed, so a re-applied change's diff applies as it is;
 *  - text and list edits are positional: where a left-out change touched the same text, the
 *    positions move (`PositionMap`).
 * Container ids differ between documents for containers created after the base, so every
 * container is found again by its path (entity maps and texts hang off map keys). Copies are
 * made by exporting the base's ops (`docAt`), never by `forkAt`, which costs seconds on a
 * document holding a large paste.
 */

export type Span = { readonly peer: PeerID; readonly start: number; readonly end: number }
type Vv = Map<PeerID, number>

/** The op spans an update carries, per peer; undefined when the bytes are not a Loro update. */
export const spansOf = (bytes: Uint8Array): ReadonlyArray<Span> | undefined => {
  try {
    const meta = decodeImportBlobMeta(bytes, false)
    const start = meta.partialStartVersionVector.toJSON()
    const spans: Array<Span> = []
    for (const [peer, end] of meta.partialEndVersionVector.toJSON()) {
      const s = start.get(peer) ?? 0
      if (end > s) spans.push({ peer, start: s, end })
    }
    return spans
  } catch {
    return undefined
  }
}

/**
 * The device's document as the store holds it, plus extra blobs (refused changes). Blobs are
 * imported one by one: `importBatch` is superlinear when one of them is a large insert
 * (measured on loro-crdt 1.17: 300,000 pasted characters in five updates take 4 s in one batch,
 * 2 ms one by one), and a blob that does not import must not take the others with it.
 */
export const loadOrigin = (stored: StoredDoc, extra: ReadonlyArray<Uint8Array>): LoroDoc => {
  const doc = new LoroDoc()
  const blobs = [...storedBlobs(stored), ...extra]
  for (const b of blobs) {
    try {
      doc.import(b)
    } catch {}
  }
  return doc
}

export const vvOf = (doc: LoroDoc): Vv => doc.oplogVersion().toJSON()

/** Every op of `spans` is in the document (not missing, not pending). */
export const holds = (vv: Vv, spans: ReadonlyArray<Span>): boolean =>
  spans.length > 0 && spans.every((s) => (vv.get(s.peer) ?? 0) >= s.end)

/** The causal past of a change: every op it depends on (its own peer's earlier ops included). */
export const pastOf = (doc: LoroDoc, spans: ReadonlyArray<Span>): Vv => {
  const past: Vv = new Map()
  const raise = (peer: PeerID, counter: number) => past.set(peer, Math.max(past.get(peer) ?? 0, counter))
  for (const s of spans) {
    raise(s.peer, s.start)
    for (let counter = s.start; counter < s.end; ) {
      const change = doc.getChangeAt({ peer: s.peer, counter })
      for (const [peer, end] of doc.frontiersToVV(change.deps).toJSON()) raise(peer, end)
      counter = Math.max(counter + 1, change.counter + change.length)
    }
  }
  return past
}

/** `past` includes at least one op of `spans`. */
export const reaches = (past: Vv, spans: ReadonlyArray<Span>): boolean =>
  spans.some((s) => (past.get(s.peer) ?? 0) > s.start)

/** The document's version with every op of `spans` (and so everything after them per peer) left out. */
export const frontiersWithout = (doc: LoroDoc, spans: ReadonlyArray<Span>): Frontiers => {
  const vv = vvOf(doc)
  for (const s of spans) vv.set(s.peer, Math.min(vv.get(s.peer) ?? 0, s.start))
  for (const [peer, end] of vv) if (end === 0) vv.delete(peer)
  return doc.vvToFrontiers(new VersionVector(vv))
}

/**
 * A new document (fresh peer id) holding exactly the ops of `base`. Unlike `forkAt`, it does
 * not carry root containers that only later ops created (they would show as empty values).
 */
export const docAt = (origin: LoroDoc, base: Frontiers): LoroDoc => {
  const doc = new LoroDoc()
  const spans = [...origin.frontiersToVV(base).toJSON()]
    .filter(([, end]) => end > 0)
    .map(([peer, end]) => ({ id: { peer, counter: 0 }, len: end }))
  if (spans.length > 0) doc.import(origin.export({ mode: "updates-in-range", spans }))
  return doc
}

/**
 * Reads each change's effect by importing them in order into a fork at `base`; a change that
 * does not import there (not a Loro update, or missing a dependency) gets undefined.
 */
export const readDiffs = (
  origin: LoroDoc,
  base: Frontiers,
  changes: ReadonlyArray<Uint8Array>,
): { readonly doc: LoroDoc; readonly diffs: ReadonlyArray<ChangeDiff | undefined> } => {
  const doc = docAt(origin, base)
  let events: Array<ChangeDiff[number]> = []
  const off = doc.subscribe((batch) => {
    for (const e of batch.events) events.push({ target: e.target, diff: e.diff, path: e.path })
  })
  const diffs = changes.map((bytes) => {
    events = []
    try {
      const status = doc.import(bytes)
      return status.pending === undefined || status.pending === null ? events : undefined
    } catch {
      return undefined
    }
  })
  off()
  return { doc, diffs }
}

const isContainer = (v: unknown): v is Container =>
  typeof v === "object" && v !== null && "id" in v && typeof (v as { id: unknown }).id === "string"

const isRoot = (cid: ContainerID): boolean => cid.startsWith("cid:root-") && !cid.startsWith("cid:root-🤝")

/** The root containers by name (their ids carry the type a path does not). */
const rootsOf = (doc: LoroDoc): Record<string, ContainerID> => doc.getShallowValue()

/**
 * The container at `path` in `target`: the same place `cid` has in `source`. Walked by path
 * from the root, so it works whatever became of the container in `source` since.
 */
const place = (source: LoroDoc, target: LoroDoc, cid: ContainerID, path: Path): ContainerID | undefined => {
  if (isRoot(cid)) return cid
  const root = rootsOf(source)[String(path[0])]
  if (root === undefined) return undefined
  let at: unknown = target.getContainerById(root)
  for (const key of path.slice(1)) {
    if (!isContainer(at) || !("get" in at)) return undefined
    at = (at.get as (k: unknown) => unknown)(key)
  }
  return isContainer(at) ? at.id : undefined
}

/** Containers a diff creates: Loro gives them new ids when the diff is applied (in that same call). */
const createdIn = (diff: ChangeDiff): Set<ContainerID> => {
  const created = new Set<ContainerID>()
  for (const { diff: d } of diff) {
    if (d.type === "map") for (const v of Object.values(d.updated)) if (isContainer(v)) created.add(v.id)
    if (d.type === "list")
      for (const op of d.diff)
        if (op.insert !== undefined) for (const v of op.insert) if (isContainer(v)) created.add(v.id)
  }
  return created
}

/** `diff` (read in `source`) addressed to `target`'s containers; `missing` when one has no place there. */
export const retarget = (
  source: LoroDoc,
  target: LoroDoc,
  diff: ChangeDiff,
): { readonly batch: Array<[ContainerID, Diff]>; readonly missing: boolean } => {
  const created = createdIn(diff)
  const batch: Array<[ContainerID, Diff]> = []
  let missing = false
  for (const { target: cid, diff: d, path } of diff) {
    const to = created.has(cid) ? cid : place(source, target, cid, path)
    if (to === undefined) missing = true
    else batch.push([to, d])
  }
  return { batch, missing }
}
