import { growLoroMemoryInSteps } from "@vibestack/shared/loroMemory"
import initLoro from "loro-crdt/web/loro_wasm.js"

/**
 * Loro's WebAssembly, compiled while it downloads (`instantiateStreaming`), off this thread.
 * The app's build resolves `loro-crdt` to this same web entry (vite.config.ts), so every
 * import of it shares the instance this starts. The default browser entry loads 3.6 MB with a
 * synchronous XHR and compiles on the worker's thread before any of its code runs: 0.3-0.5 s
 * of each worker's start on a new device. Nothing may touch Loro before this resolves.
 *
 * Started by the first call, not at import: the compile's steps run on the calling worker's
 * thread as the bytes arrive (0.1-0.3 s on a new device), so a worker chooses what goes first
 * (the sync worker's snapshot request; the document worker starts Loro before anything else,
 * `loroEarly.ts`). This module imports nothing of ours but the small memory module.
 */
let ready: Promise<void> | undefined

export const loadLoro = (): Promise<void> =>
  (ready ??= initLoro().then((exports) => {
    // The memory grows in steps from here on: one garbage collection per step instead of one per
    // 64 KiB page as documents grow (loroMemory.ts).
    growLoroMemoryInSteps(exports, 16 * 1024 * 1024)
  }))
