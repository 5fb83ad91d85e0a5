import { type ImportStatus, LoroDoc } from "loro-crdt"

/** Per peer, the op counters `[start, end)` a decode brought in, applied or pending. */
export type DecodedRanges = ReadonlyMap<string, { readonly start: number; readonly end: number }>

const isCrash = (e: unknown) => e instanceof Error && e.name === "RuntimeError"

/**
 * Decodes payloads (updates) each as an empty document would, and says what each one carried.
 * A scratch document decodes every change of an import unless its oplog already holds it, so
 * while a scratch holds no op (everything it decoded is pending: its deps are not there, the
 * usual case for a push) the next payload goes into the same one: one scratch per batch, not
 * one per payload. Once a scratch holds ops, the next payload gets a fresh one.
 *
 * What a payload carried comes from the import's status (changes applied and kept pending):
 * the decoded changes' own ids, not a header's claim about them.
 *
 * `free()` when done, unless Loro panicked: after a panic the WebAssembly instance is
 * poisoned and `free()` throws an error of its own that would hide the crash (as `withScratch`).
 */
export class FreshDecoder {
  private scratch: LoroDoc | undefined

  decode(bytes: Uint8Array): DecodedRanges {
    const scratch = this.scratch ?? new LoroDoc()
    this.scratch = undefined
    let status: ImportStatus
    try {
      status = scratch.import(bytes)
    } catch (err) {
      if (!isCrash(err)) scratch.free()
      throw err
    }
    if (scratch.oplogVersion().length() === 0) this.scratch = scratch
    else scratch.free()
    return decodedRanges(status)
  }

  free(): void {
    this.scratch?.free()
    this.scratch = undefined
  }
}

const decodedRanges = (status: ImportStatus): DecodedRanges => {
  const ranges = new Map<string, { start: number; end: number }>()
  for (const part of [status.success, status.pending ?? new Map()])
    for (const [peer, { start, end }] of part) {
      const seen = ranges.get(peer)
      ranges.set(
        peer,
        seen === undefined ? { start, end } : { start: Math.min(seen.start, start), end: Math.max(seen.end, end) },
      )
    }
  return ranges
}
