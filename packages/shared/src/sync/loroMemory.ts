/**
 * Loro's WebAssembly memory, grown in large steps instead of one page at a time.
 *
 * Loro's allocator asks for more memory one 64 KiB page at a time as its documents grow, and V8
 * answers each growth with a garbage collection: every grown memory gets a new buffer, counted
 * as external memory until the old one is collected ("external memory pressure"). Five writers
 * making 2,000 edits grew the memory ~1,800 times and their Loro work cost 0.8-2.9 ms per edit,
 * rising with the heap; with room reserved up front it cost 0.5 ms and collected twice. Allocating
 * a large block and freeing it at once grows the memory in one step; the allocator then serves
 * small allocations from the freed block. Pages nobody writes stay virtual (no resident memory).
 *
 * One Loro instance per thread, so the state here is per thread. Without `growLoroMemoryInSteps`
 * every call is a no-op.
 */

/** The part of wasm-bindgen's exports of Loro's module this uses. */
export interface LoroWasm {
  /** A `WebAssembly.Memory` (typed by the one field read, so this builds without DOM types). */
  readonly memory: { readonly buffer: ArrayBuffer }
  readonly __wbindgen_malloc: (size: number, align: number) => number
  readonly __wbindgen_free: (ptr: number, size: number, align: number) => void
}

const MiB = 1024 * 1024
/** No reservation takes the memory past this (wasm32 stops at 4 GiB; a failed allocation traps). */
const CEILING = 2048 * MiB
/** The largest single step: past it, growth is rare enough. */
const MAX_STEP = 256 * MiB

let wasm: LoroWasm | undefined
/** The memory's size after the last reservation: a different size means the allocator grew it. */
let seen = 0
let minStep = 32 * MiB

const isLoroWasm = (x: unknown): x is LoroWasm => {
  if (typeof x !== "object" || x === null) return false
  const w = x as Record<string, unknown>
  return (
    typeof w.memory === "object" &&
    w.memory !== null &&
    (w.memory as { buffer?: unknown }).buffer instanceof ArrayBuffer &&
    typeof w.__wbindgen_malloc === "function" &&
    typeof w.__wbindgen_free === "function"
  )
}

/**
 * Grows this thread's Loro memory in steps from now on, starting with `step` bytes of room.
 * `loro` is Node's build of the module (`import * as loro from "loro-crdt"`: its WebAssembly
 * exports are its `__wasm`) or the exports themselves (what the web build's init resolves to).
 * Returns false (and changes nothing) for anything else.
 */
export const growLoroMemoryInSteps = (loro: unknown, step = 32 * MiB): boolean => {
  const exports = isLoroWasm(loro) ? loro : (loro as { __wasm?: unknown } | null | undefined)?.__wasm
  if (!isLoroWasm(exports)) return false
  wasm = exports
  minStep = step
  reserveLoroMemory(step)
  return true
}

/** Room for about `bytes` more, grown at once if it is not there. */
export const reserveLoroMemory = (bytes: number): void => {
  if (wasm === undefined) return
  const size = wasm.memory.buffer.byteLength
  const want = Math.min(Math.ceil(bytes), MAX_STEP, CEILING - size)
  if (want >= 64 * 1024) {
    try {
      const ptr = wasm.__wbindgen_malloc(want, 1)
      if (ptr !== 0) wasm.__wbindgen_free(ptr, want, 1)
    } catch {
      // The allocator traps when the memory cannot grow: Loro's own next allocation will meet
      // that too and fail as it would have; stop reserving rather than fail the caller here.
      wasm = undefined
      return
    }
  }
  seen = wasm.memory.buffer.byteLength
}

/** A document takes several times its bytes once imported (about 7× for a snapshot). */
const IMPORTED_PER_BYTE = 8
/** Below this, the steps `keepLoroHeadroom` takes are room enough. */
const LARGE_IMPORT = 1024 * 1024

/**
 * Before importing `blobs`: if they are large, room for what the import will take, in one step.
 * At least half the memory is asked for, so the room comes from the end of the heap (a large
 * free block there) rather than a smaller gap between documents that the import's growing
 * buffers would soon outgrow.
 */
export const roomForImport = (blobs: ReadonlyArray<Uint8Array>): void => {
  if (wasm === undefined) return
  let bytes = 0
  for (const b of blobs) bytes += b.byteLength
  if (bytes >= LARGE_IMPORT) reserveLoroMemory(Math.max(bytes * IMPORTED_PER_BYTE, wasm.memory.buffer.byteLength / 2))
}

/**
 * After Loro work: if the allocator grew the memory since the last look (it ran out of the
 * room reserved), reserve half the memory again, so growths come geometrically rarer.
 */
export const keepLoroHeadroom = (): void => {
  if (wasm === undefined) return
  const size = wasm.memory.buffer.byteLength
  if (size !== seen) reserveLoroMemory(Math.max(minStep, size / 2))
}
