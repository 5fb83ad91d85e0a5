import { type DocId, MAIN_DOC, type WorkspaceId } from "@vibestack/schema"
import { decodeUpdates, encodeUpdates, HttpTransport, type WebSocketCtor } from "@vibestack/shared"
import { afterEach, describe, it } from "vitest"
import { WebSocket } from "ws"
import { type FuzzBackend, type FuzzFault, runFuzz } from "../../../../packages/shared/src/sync/test/fuzz.js"
import { checkInvariants } from "../../../../packages/shared/src/sync/test/invariants.js"
import { startMemoryHttpServer } from "./test/memoryHttpServer.js"

const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c()
})

/**
 * The fuzz over real HTTP + WebSocket (HttpTransport, `ws`, node:http) in front of the
 * in-memory server. Faults are injected per peer in its `fetch` and WebSocket, like a
 * flaky network would: requests failing before they reach the server, responses lost
 * after the commit, corrupted pull bodies and blobs, sockets dropped.
 */
const httpBackend = async () => {
  const s = await startMemoryHttpServer()
  cleanups.push(s.close)
  const workspaceId = "ws-http-fuzz" as WorkspaceId
  const docId: DocId = MAIN_DOC
  const { masterToken } = s.server.register(workspaceId, "Fuzz", undefined)
  const backend: FuzzBackend = {
    workspaceId,
    docId,
    token: masterToken,
    pause: () => new Promise((r) => setTimeout(r, 2)),
    log: async () => s.server.log(workspaceId, docId),
    connect: () => {
      let online = true
      const once: Array<FuzzFault> = []
      const sockets = new Set<WebSocket>()
      const take = (k: FuzzFault) => {
        const i = once.indexOf(k)
        if (i >= 0) once.splice(i, 1)
        return i >= 0
      }
      const fetchFn: typeof fetch = async (input, init) => {
        if (!online || take("failBeforeCommit")) throw new TypeError("fetch failed (injected)")
        const res = await fetch(input, init)
        if (init?.method === "POST" && take("dropAfterCommit")) {
          await res.arrayBuffer()
          throw new TypeError("response lost (injected)")
        }
        if (res.ok && String(input).includes("/updates?")) {
          if (take("garbageBody")) {
            const b = new Uint8Array(await res.arrayBuffer())
            return new Response(b.length > 0 ? b.slice(0, -1) : new Uint8Array([7]), { headers: res.headers })
          }
          if (take("garbageBlob")) {
            const records = decodeUpdates(new Uint8Array(await res.arrayBuffer()))
            if (typeof records === "string") throw new Error(records)
            const bad = records.map((r, i) => (i === 0 ? { seq: r.seq, bytes: new Uint8Array([1, 2, 3]) } : r))
            return new Response(encodeUpdates(bad), { headers: res.headers })
          }
        }
        return res
      }
      class PeerSocket extends WebSocket {
        constructor(url: string) {
          super(url)
          sockets.add(this)
          this.on("close", () => sockets.delete(this))
          if (!online) queueMicrotask(() => this.terminate())
        }
      }
      return {
        transport: new HttpTransport({
          baseUrl: s.url,
          WebSocket: PeerSocket as unknown as WebSocketCtor,
          fetch: fetchFn,
          requestTimeoutMs: 3_000,
          pingIntervalMs: 2_000,
        }),
        setOnline: (on: boolean) => {
          online = on
          if (!on) for (const sock of sockets) sock.terminate()
        },
        inject: (f: FuzzFault) => {
          if (f === "closeSocket") for (const sock of sockets) sock.terminate()
          else once.push(f)
        },
      }
    },
  }
  return { backend, server: s.server, workspaceId, docId }
}

const seeds = Number(process.env.VIBESTACK_FUZZ_SEEDS ?? 3)
const base = Number(process.env.VIBESTACK_FUZZ_SEED ?? 1)

describe("seeded multi-peer fuzz over HTTP + WebSocket", () => {
  it("[C2][C4][C9][C10] I1–I4 hold with faults on a real wire", async () => {
    for (let seed = base; seed < base + seeds; seed++) {
      const { backend, server, workspaceId, docId } = await httpBackend()
      const world = await runFuzz({ seed, peers: 3, steps: 60, backend })
      try {
        const bad = await checkInvariants(world.peers, await backend.log(), server.referenceDoc(workspaceId, docId))
        if (bad.length > 0) throw new Error(`seed ${seed} violated:\n${bad.slice(0, 20).join("\n")}`)
      } finally {
        for (const p of world.peers) await p.engine.stop()
        for (const c of cleanups.splice(0)) await c()
      }
    }
  }, 120_000)
})
