import type { LoroDoc } from "loro-crdt"

const isCrash = (e: unknown) => e instanceof Error && e.name === "RuntimeError"

/**
 * Runs `f` on a scratch document and frees it. After a Loro panic the WebAssembly instance is
 * poisoned and `free()` throws an error of its own ("attempted to take ownership of Rust value
 * while it was borrowed"), which would hide the RuntimeError the pool recycles workers on: so
 * the document is freed only when `f` did not crash.
 */
export const withScratch = <A>(make: () => LoroDoc, f: (doc: LoroDoc) => A): A => {
  const doc = make()
  let crashed = false
  try {
    return f(doc)
  } catch (err) {
    crashed = isCrash(err)
    throw err
  } finally {
    if (!crashed) doc.free()
  }
}
