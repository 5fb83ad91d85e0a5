import { type DocId, MAIN_DOC, type WorkspaceId } from "@vibestack/schema"
import { checkInvariants, runFuzz } from "@vibestack/shared/testing"
import { afterEach, describe, expect, it } from "vitest"
import { httpFuzzBackend } from "./test/httpFuzzBackend.js"
import { startMemoryHttpServer } from "./test/memoryHttpServer.js"

const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c()
})

/** The fuzz over real HTTP + WebSocket (HttpTransport, `ws`, node:http) in front of the in-memory server. */
const memoryHttpBackend = async (refusals = false) => {
  const s = await startMemoryHttpServer()
  // As a server's check by meaning would: any update that writes `tasks.bad` is refused.
  if (refusals) s.server.rules.push((after) => (after.getMap("tasks").get("bad") === undefined ? undefined : "bad key"))
  cleanups.push(s.close)
  const workspaceId = "ws-http-fuzz" as WorkspaceId
  const docId: DocId = MAIN_DOC
  const { masterToken } = s.server.register(workspaceId, "Fuzz", undefined)
  const backend = httpFuzzBackend({
    url: s.url,
    workspaceId,
    docId,
    token: masterToken,
    log: async () => s.server.log(workspaceId, docId),
  })
  return { backend, server: s.server, workspaceId, docId }
}

const seeds = Number(process.env.VIBESTACK_FUZZ_SEEDS ?? 3)
const base = Number(process.env.VIBESTACK_FUZZ_SEED ?? 1)

describe("seeded multi-peer fuzz over HTTP + WebSocket", () => {
  it("[C2][C4][C9][C10] I1–I4 hold with faults on a real wire", async () => {
    for (let seed = base; seed < base + seeds; seed++) {
      const { backend, server, workspaceId, docId } = await memoryHttpBackend()
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

  it("[C8][C14] refused changes among the faults on a real wire: set aside, the rest rebased, I1–I4 hold", async () => {
    let setAside = 0
    for (let seed = base; seed < base + seeds; seed++) {
      const { backend, server, workspaceId, docId } = await memoryHttpBackend(true)
      const world = await runFuzz({ seed, peers: 3, steps: 60, backend, refusals: true })
      try {
        const bad = await checkInvariants(world.peers, await backend.log(), server.referenceDoc(workspaceId, docId), {
          refusals: true,
        })
        if (bad.length > 0) throw new Error(`seed ${seed} violated:\n${bad.slice(0, 20).join("\n")}`)
        for (const p of world.peers) setAside += (await p.store.rejectedOutbox(workspaceId, docId)).length
      } finally {
        for (const p of world.peers) await p.engine.stop()
        for (const c of cleanups.splice(0)) await c()
      }
    }
    // The run did exercise the refusal path.
    expect(setAside).toBeGreaterThan(0)
  }, 180_000)
})
