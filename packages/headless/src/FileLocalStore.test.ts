import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import type { DocId, WorkspaceId } from "@vibestack/schema"
import { runLocalStoreContract } from "@vibestack/shared/testing"
import { afterAll, describe, expect, it } from "vitest"
import { FileLocalStore } from "./FileLocalStore.js"

const dirs: Array<string> = []
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true })
})
const freshDir = async () => {
  const d = await mkdtemp(join(tmpdir(), "vibestack-filestore-"))
  dirs.push(d)
  return d
}

runLocalStoreContract(
  "file",
  async () => new FileLocalStore(await freshDir(), { fsync: false }),
  // A restart: a new instance (no shared memory) over the same folder.
  (s) => new FileLocalStore((s as FileLocalStore).dir, { fsync: false }),
)

describe("FileLocalStore crash safety", () => {
  it("[C1] a half-written temp file and stray blobs from a killed process are ignored and swept", async () => {
    const dir = await freshDir()
    const ws = "w" as WorkspaceId
    const doc = "main" as DocId
    const s = new FileLocalStore(dir, { fsync: false })
    await s.appendLocal(ws, doc, { bytes: new Uint8Array([1]), idempotencyKey: "k1", createdAt: 1 })
    const docDir = join(dir, "docs", "w~main")
    // What a kill mid-write leaves behind: a temp manifest and a blob the manifest never named.
    await writeFile(join(docDir, "manifest.json.tmp-dead"), "{ half")
    await writeFile(join(docDir, "u2-orphan.bin"), new Uint8Array([9]))
    const r = new FileLocalStore(dir, { fsync: false })
    expect((await r.outbox(ws, doc)).map((e) => e.idempotencyKey)).toEqual(["k1"])
    const files = (await readdir(docDir)).sort()
    expect(files).toHaveLength(2)
    expect(files[0]).toBe("manifest.json")
    expect(files[1]).toMatch(/^u1-.*\.bin$/)
  })
})

describe("FileLocalStore metas", () => {
  it('[C6] a fatal reason stored as "Kind: message" by an older version reads as { kind, message }', async () => {
    const dir = await freshDir()
    const meta = { workspaceId: "w", name: "W", serverUrl: "http://x", token: "t", role: "viewer", createdAt: 1 }
    await writeFile(
      join(dir, "workspaces.json"),
      JSON.stringify({ w: { ...meta, fatal: "Unauthorized: token revoked" } }),
    )
    const s = new FileLocalStore(dir, { fsync: false })
    expect((await s.getWorkspace("w" as WorkspaceId))?.fatal).toEqual({
      kind: "Unauthorized",
      message: "token revoked",
    })
    expect((await s.listWorkspaces())[0]?.fatal).toEqual({ kind: "Unauthorized", message: "token revoked" })
  })
})
