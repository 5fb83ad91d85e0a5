import { opsContextOf, pathsOf, validateOps } from "@vibestack/schema"
import { Either } from "effect"
import type { LoroDoc, PeerID, VersionVector } from "loro-crdt"
import { changeMetadataProblem } from "./changeMetadata.js"
import { FreshDecoder } from "./FreshDecoder.js"
import { readTouched } from "./readTouched.js"
import { proveBlobsDecode, proveReencodes } from "./reencode.js"
import { proveResendsMatch } from "./resends.js"

/**
 * Validation by meaning of one batch the copy just imported (everything after `from`), or
 * throws with the reason. Every step costs what the batch holds, not what the document holds:
 *   1. decode the new changes (`exportJsonUpdates(from, to)`);
 *   2. every op against the workspace layout (`validateOps` in @vibestack/schema);
 *   3. the changes' metadata (ids, op counters, deps, Lamports) against the version vectors;
 *   4. a deep read of every container the batch touched or created, at its layout path;
 *   5. the new changes re-encode and decode on their own, and so does each pushed blob;
 *   6. what a blob re-sends (changes the copy had, which the import skipped unread) is exactly
 *      what the server holds (O(document), only for such re-sends: `resends.ts`).
 * The crafted updates that poison a document (a container id of unknown kind that reads fine
 * in memory but not from a snapshot; shifted ids or Lamports that make the export panic) fail
 * step 2 or 3. `checkWholeDocument` is the full, O(document) version of this.
 */
export const validateBatch = (
  doc: LoroDoc,
  from: VersionVector,
  blobs: ReadonlyArray<Uint8Array>,
  time?: StepTimer,
): void => {
  const step = timed(time)
  const toVersion = doc.oplogVersion()
  const pathOf = pathsOf(doc)
  const json = step("exportJson", () => doc.exportJsonUpdates(from, toVersion, false))
  const layout = step("layout", () => validateOps(json.changes, opsContextOf(doc, pathOf)))
  if (Either.isLeft(layout)) throw new Error(`${layout.left.reason} (op ${layout.left.op ?? "?"})`)
  const fromMap = from.toJSON() as Map<string, number>
  const to = toVersion.toJSON() as Map<string, number>
  const metadata = step("metadata", () =>
    changeMetadataProblem(json.changes, { from: fromMap, to, lamportOf: remembered(lamportOf(doc)) }),
  )
  if (metadata !== undefined) throw new Error(metadata)
  step("readTouched", () => readTouched(doc, layout.right, pathOf))
  // Steps 5 share scratch documents (one per batch while none holds ops: `FreshDecoder`).
  const decoder = new FreshDecoder()
  let crashed = false
  try {
    const reencoded = step("reencode", () => proveReencodes(doc, from, to, decoder))
    const carried = step("blobsDecode", () => proveBlobsDecode(blobs, decoder, reencoded))
    step("resends", () => proveResendsMatch(doc, fromMap, blobs, carried))
  } catch (err) {
    crashed = err instanceof Error && err.name === "RuntimeError"
    throw err
  } finally {
    if (!crashed) decoder.free()
  }
}

/** The steps of `validateBatch`, in order, as a bench names them. */
export const validationSteps = [
  "exportJson",
  "layout",
  "metadata",
  "readTouched",
  "reencode",
  "blobsDecode",
  "resends",
] as const
export type ValidationStep = (typeof validationSteps)[number]
/** Told how long each step took (a bench's breakdown; the push path passes none). */
export type StepTimer = (step: ValidationStep, ms: number) => void

const timed =
  (time: StepTimer | undefined) =>
  <A>(name: ValidationStep, f: () => A): A => {
    if (time === undefined) return f()
    const t = performance.now()
    const a = f()
    time(name, performance.now() - t)
    return a
  }

/** A change's deps are often its peer's previous op, which the check looks up anyway. */
const remembered = (f: (peer: string, counter: number) => number | undefined) => {
  const seen = new Map<string, number | undefined>()
  return (peer: string, counter: number) => {
    const key = `${counter}@${peer}`
    if (!seen.has(key)) seen.set(key, f(peer, counter))
    return seen.get(key)
  }
}

/** The Lamport timestamp of op `counter@peer` (its change's Lamport plus its offset in it). */
export const lamportOf =
  (doc: LoroDoc) =>
  (peer: string, counter: number): number | undefined => {
    let change: ReturnType<LoroDoc["getChangeAt"]> | undefined
    try {
      change = doc.getChangeAt({ peer: peer as PeerID, counter })
    } catch (err) {
      // Loro's errors are strings ("not found"); a WebAssembly crash must still reach the pool.
      if (err instanceof Error && err.name === "RuntimeError") throw err
      return undefined
    }
    if (change === undefined || counter < change.counter || counter >= change.counter + change.length) return undefined
    return change.lamport + (counter - change.counter)
  }
