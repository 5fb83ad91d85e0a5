import { writeLoroChecksum } from "../../store/blobHeader.js"
import type { LoroPool } from "../LoroPool.js"
import type { MemoryDocSource } from "../MemoryDocSource.js"
import { prng } from "../testFixtures.js"

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
 * Every accepted mutant is committed, and the ground truth is then read in a worker
 * (`readBack`: a fresh snapshot of the copy exports, loads and reads in full, deep and through
 * the schema); a failure there is an escape. Panics recycle workers; the pool carries on.
 */
export const runMutationFuzz = async (options: {
  readonly pool: LoroPool
  readonly source: MemoryDocSource
  readonly targets: ReadonlyArray<FuzzTarget>
  readonly seed: number
  readonly mutants: number
}): Promise<FuzzStats> => {
  const { pool, source, targets } = options
  const random = prng(options.seed)
  const stats: FuzzStats = { mutants: 0, accepted: 0, crashed: 0, escapes: [] }
  /** Per target and update index: the document in use (a new one after an escape). */
  const docs = new Map<string, string>()
  const ws = `fuzz${options.seed}`
  for (let i = 0; i < options.mutants; i++) {
    const target = targets[i % targets.length]!
    const k = Math.floor(random() * target.updates.length)
    const key = `${target.name}-${k}`
    let doc = docs.get(key)
    if (doc === undefined) {
      doc = `${key}-${i}`
      docs.set(key, doc)
      if (target.base !== undefined) source.compact(ws, doc, target.base, 0)
      const prefix = target.updates.slice(0, k)
      const results = await pool.validate(ws, doc, prefix)
      const refused = results.find((r) => !r.ok)
      if (refused !== undefined) throw new Error(`valid update refused on ${doc}: ${JSON.stringify(refused)}`)
      if (prefix.length > 0) await pool.markCommitted(ws, doc, source.append(ws, doc, prefix))
    }
    const mutant = mutate(target.updates[k]!, random)
    stats.mutants++
    const [result] = await pool.validate(ws, doc, [mutant])
    if (!result!.ok) {
      if (result!.crashed === true) stats.crashed++
      continue
    }
    stats.accepted++
    await pool.markCommitted(ws, doc, source.append(ws, doc, [mutant]))
    try {
      await pool.run(ws, doc, "readBack", undefined)
    } catch (err) {
      stats.escapes.push(`seed ${options.seed} mutant ${i} (${doc}): ${String(err).slice(0, 300)}`)
      // Keep the escape out of later mutants' way: the next one starts a new document.
      docs.delete(key)
    }
  }
  return stats
}
