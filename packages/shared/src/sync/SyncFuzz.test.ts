import type { DocId, WorkspaceId } from "@vibestack/schema"
import { describe, expect, it } from "vitest"
import { MemoryServer } from "./MemoryServer.js"
import { MemoryTransport } from "./MemoryTransport.js"
import { type FuzzBackend, runFuzz } from "./test/fuzz.js"
import { checkInvariants } from "./test/invariants.js"

const ws = "ws-fuzz" as WorkspaceId
const docId = "main" as DocId

const memoryBackend = (refusals = false): FuzzBackend & { server: MemoryServer } => {
  const server = new MemoryServer()
  // As a server's check by meaning would: any update that writes `tasks.bad` is refused.
  if (refusals) server.rules.push((after) => (after.getMap("tasks").get("bad") === undefined ? undefined : "bad key"))
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

const runSeed = async (seed: number, peers = 4, steps = 150, refusals = false) => {
  const backend = memoryBackend(refusals)
  const world = await runFuzz({ seed, peers, steps, backend, refusals })
  try {
    const bad = await checkInvariants(world.peers, await backend.log(), backend.server.referenceDoc(ws, docId), {
      refusals,
    })
    if (bad.length > 0)
      throw new Error(`seed ${seed} (peers ${peers}, steps ${steps}) violated:\n${bad.slice(0, 20).join("\n")}`)
    expect(backend.server.log(ws, docId).length).toBeGreaterThan(0)
    let setAside = 0
    for (const p of world.peers) setAside += (await p.store.rejectedOutbox(ws, docId)).length
    return setAside
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

  it("[C8][C14] with refused changes among the faults: set aside, the rest rebased and converged, I1–I4 hold", async () => {
    let setAside = 0
    for (let s = base; s < base + seeds; s++) setAside += await runSeed(s, 3 + (s % 3), 150, true)
    // The runs did exercise the refusal path.
    expect(setAside).toBeGreaterThan(0)
  }, 180_000)
})
