import { writeLoroChecksum } from "../../store/blobHeader.js"
import type { LoroPool } from "../LoroPool.js"
import type { MemoryDocSource } from "./MemoryDocSource.js"
import { prng } from "./testFixtures.js"

/** A document to fuzz against: its starting snapshot (or none) and a chain of valid updates on top. */
export interface FuzzTarget {
  readonly name: string
  readonly base: Uint8Array | undefined
  readonly updates: ReadonlyArray<Uint8Array>
}

export interface FuzzStats {
  mutants: number
  accepted: number
  crashed: number
  /** Accepted mutants whose committed document failed the ground truth, with the reason. */
  readonly escapes: Array<string>
}

/**
 * A hostile client's edit of a valid update: 1–3 random bit flips, byte sets, swaps of two
 * bytes or short runs of random bytes past the header, checksum recomputed (so only the pool
 * can tell).
 */
export const mutate = (original: Uint8Array, random: () => number): Uint8Array => {
  const bytes = original.slice()
  const at = () => 22 + Math.floor(random() * (bytes.length - 22))
  const edits = 1 + Math.floor(random() * 3)
  for (let k = 0; k < edits; k++) {
    const i = at()
    const kind = random()
    if (kind < 0.3) bytes[i] = bytes[i]! ^ (1 << Math.floor(random() * 8))
    else if (kind < 0.55) {
      const j = at()
      ;[bytes[i], bytes[j]] = [bytes[j]!, bytes[i]!]
    } else if (kind < 0.85) bytes[i] = Math.floor(random() * 256)
    else for (let r = 0; r < 4 && i + r < bytes.length; r++) bytes[i + r] = Math.floor(random() * 256)
  }
  return writeLoroChecksum(bytes)
}

/**
 * Pushes `mutants` mutants of the targets' updates through the pool, each on top of its
 * target's base and the valid updates before it (one document per target and update index).
 * Every accepted mutant is committed, then the ground truth is read in workers; a failure of
 * any of it is an escape:
 *   - `readBack`: a fresh snapshot of the copy exports, loads and reads in full (deep, and
 *     through the schema), what every new device starts from;
 *   - the stored log reloads: base + updates + accepted mutants, as the pool and restores load it;
 *   - the accepted blob decodes on its own, as a reader that meets it out of order would.
 * A later call failing because the document no longer loads is an escape too. Panics recycle
 * workers; the pool carries on.
 */
export const runMutationFuzz = async (options: {
  readonly pool: LoroPool
  readonly source: MemoryDocSource
  readonly targets: ReadonlyArray<FuzzTarget>
  readonly seed: number
  readonly mutants: number
  /**
   * Push each mutant in one batch with a second mutant of the same update and the valid update
   * itself (validation shares scratch documents across a batch's blobs): `[m1, m2, valid]`.
   */
  readonly batches?: boolean
}): Promise<FuzzStats> => {
  const { pool, source, targets } = options
  const random = prng(options.seed)
  const stats: FuzzStats = { mutants: 0, accepted: 0, crashed: 0, escapes: [] }
  /** Per target and update index: the document in use (a new one after an escape) and its stored log. */
  const docs = new Map<string, { readonly doc: string; readonly log: Array<Uint8Array> }>()
  const ws = `fuzz${options.seed}`
  for (let i = 0; i < options.mutants; i++) {
    const target = targets[i % targets.length]!
    const k = Math.floor(random() * target.updates.length)
    const key = `${target.name}-${k}`
    let entry = docs.get(key)
    if (entry === undefined) {
      entry = { doc: `${key}-${i}`, log: target.updates.slice(0, k) }
      docs.set(key, entry)
      if (target.base !== undefined) source.compact(ws, entry.doc, target.base, 0)
      const results = await pool.validate(ws, entry.doc, entry.log)
      const refused = results.find((r) => !r.ok)
      if (refused !== undefined) throw new Error(`valid update refused on ${entry.doc}: ${JSON.stringify(refused)}`)
      if (entry.log.length > 0) await pool.markCommitted(ws, entry.doc, source.append(ws, entry.doc, entry.log))
    }
    const { doc, log } = entry
    const mutant = mutate(target.updates[k]!, random)
    const batch = options.batches ? [mutant, mutate(target.updates[k]!, random), target.updates[k]!] : [mutant]
    stats.mutants += options.batches ? 2 : 1
    const escaped = (what: string, err: unknown) => {
      stats.escapes.push(`seed ${options.seed} mutant ${i} (${doc}): ${what}: ${String(err).slice(0, 300)}`)
      docs.delete(key) // later mutants of this update start on a new document
    }
    let results: Awaited<ReturnType<LoroPool["validate"]>>
    try {
      results = await pool.validate(ws, doc, batch)
    } catch (err) {
      escaped("the document no longer loads after an earlier accepted mutant", err)
      continue
    }
    stats.crashed += results.filter((r) => !r.ok && r.crashed === true).length
    const accepted = batch.filter((_, j) => results[j]?.ok === true)
    stats.accepted += accepted.filter((b) => b !== target.updates[k]).length
    if (accepted.length === 0) continue
    await pool.markCommitted(ws, doc, source.append(ws, doc, accepted))
    log.push(...accepted)
    try {
      await pool.run(ws, doc, "readBack", undefined)
    } catch (err) {
      escaped("a fresh snapshot of the copy does not read back", err)
      continue
    }
    try {
      await pool.buildSnapshot(target.base, log)
    } catch (err) {
      escaped("the stored log does not reload", err)
      continue
    }
    try {
      for (const blob of accepted) await pool.buildSnapshot(undefined, [blob])
    } catch (err) {
      escaped("an accepted blob does not decode on its own", err)
    }
  }
  return stats
}
