/**
 * Issue 3: server memory per idle WebSocket with 2,000 open (target ≤ 20 KB). The server runs
 * in this process so the heap can be measured after a forced GC (run with --expose-gc); the
 * sockets are held by a child process so their client-side memory is not counted. Reported:
 * V8 heap + external + array buffers of the server's main isolate, with the sockets closed
 * against open (authenticated and subscribed), after a warm-up round.
 *
 * Run: node --expose-gc --import tsx bench/live-memory.ts [sockets=2000]
 */
import { fork } from "node:child_process"
import { api } from "@vibestack/server/src/test/http.js"
import { startTestServer } from "@vibestack/server/src/test/server.js"
import { fmt } from "@vibestack/server/src/test/stats.js"

const sockets = Number(process.argv[2] ?? 2000)
if (typeof globalThis.gc !== "function") throw new Error("run with node --expose-gc")

const srv = await startTestServer({ config: {} })
const http = api(srv.url)
const { workspaceId, masterToken } = await http.register("memory")

const used = async () => {
  for (let i = 0; i < 3; i++) {
    globalThis.gc!()
    await new Promise((r) => setTimeout(r, 200))
  }
  const m = process.memoryUsage()
  return m.heapUsed + m.external + m.arrayBuffers
}

/** A child holding `sockets` live sockets until told to close them. */
const holdSockets = async () => {
  const child = fork(
    new URL("./lib/holdSockets.ts", import.meta.url),
    [srv.url, workspaceId, masterToken, String(sockets)],
    {
      execArgv: ["--import", "tsx"],
    },
  )
  await new Promise<void>((resolve, reject) => {
    child.once("message", () => resolve())
    child.once("exit", (code) => reject(new Error(`holder exited ${code}`)))
  })
  return async () => {
    child.send("close")
    await new Promise((r) => child.once("exit", r))
    await new Promise((r) => setTimeout(r, 1000))
  }
}

try {
  await (await holdSockets())() // warm-up: pools, JIT, buffers
  const closed = await used()
  const release = await holdSockets()
  const open = await used()
  await release()
  console.log(
    `\nserver main-isolate memory (heap + external + array buffers, after GC): ${fmt(closed / 2 ** 20, 1)} MiB with no sockets, ` +
      `${fmt(open / 2 ** 20, 1)} MiB with ${sockets} idle authenticated, subscribed sockets → ` +
      `${fmt((open - closed) / sockets / 1024, 1)} KB per socket (target ≤ 20 KB)`,
  )
} finally {
  await srv.stop()
}
