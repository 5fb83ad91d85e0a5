import type { DocId, WorkspaceId } from "@vibestack/schema"
import { describe, expect, it } from "vitest"
import { MemoryServer } from "./MemoryServer.js"
import { MemoryTransport } from "./MemoryTransport.js"
import { type FuzzBackend, runFuzz } from "./test/fuzz.js"
import { checkInvariants } from "./test/invariants.js"

const ws = "ws-fuzz" as WorkspaceId
const docId = "main" as DocId

const memoryBackend = (): FuzzBackend & { server: MemoryServer } => {
  const server = new MemoryServer()
  const { masterToken } = server.register(ws, "Fuzz", undefined)
  return {
    server,
    workspaceId: ws,
    docId,
    token: masterToken,
    connect: (_peer, random) => {
      const t = new MemoryTransport(server, { random })
      return { transport: t, setOnline: (on) => t.setOnline(on), inject: (f) => t.failNext(f) }
    },
    log: async () => server.log(ws, docId),
  }
}

const runSeed = async (seed: number, peers = 4, steps = 150) => {
  const backend = memoryBackend()
  const world = await runFuzz({ seed, peers, steps, backend })
  try {
    const bad = await checkInvariants(world.peers, await backend.log(), backend.server.referenceDoc(ws, docId))
    if (bad.length > 0)
      throw new Error(`seed ${seed} (peers ${peers}, steps ${steps}) violated:\n${bad.slice(0, 20).join("\n")}`)
    expect(backend.server.log(ws, docId).length).toBeGreaterThan(0)
  } finally {
    for (const p of world.peers) await p.engine.stop()
  }
}

const base = Number(process.env.VIBESTACK_FUZZ_SEED ?? 1)
const seeds = Number(process.env.VIBESTACK_FUZZ_SEEDS ?? 12)

describe("seeded multi-peer fuzz (in-memory server)", () => {
  it("[C2][C3][C4][C5] I1–I4 hold after random edits, flaps, restarts and faults", async () => {
    for (let s = base; s < base + seeds; s++) await runSeed(s, 3 + (s % 3))
  }, 120_000)
})
