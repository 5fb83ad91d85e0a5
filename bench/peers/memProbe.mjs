/**
 * Preloaded into every benchmarked server (ours and the peers) with
 * NODE_OPTIONS="--expose-gc --import …/memProbe.mjs": on SIGUSR2 it runs a full GC and writes the
 * main isolate's memory to $BENCH_MEM_FILE, so heap figures are taken the same way for everyone
 * without changing any server's code.
 */
import { renameSync, writeFileSync } from "node:fs"
import { isMainThread } from "node:worker_threads"

const file = process.env.BENCH_MEM_FILE
if (isMainThread && file) {
  process.on("SIGUSR2", () => {
    for (let i = 0; i < 3; i++) globalThis.gc?.()
    const m = process.memoryUsage()
    writeFileSync(`${file}.tmp`, JSON.stringify({ rss: m.rss, heap: m.heapUsed + m.external + m.arrayBuffers }))
    // Renamed so the reader never sees a half-written file.
    renameSync(`${file}.tmp`, file)
  })
}
