import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import type { DocId, WorkspaceId } from "@vibestack/schema"
import { Effect, Either, Option } from "effect"
import { afterAll, describe, expect, it } from "vitest"
import { decodeBackup, decodeBackupOffThread, encodeBackup } from "./backupFile.js"
import { openBackupFile } from "./backupFileReader.js"
import { badMetadataCases } from "./test/craftBackup.js"

const dir = mkdtempSync(join(tmpdir(), "vibestack-backupfile-"))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** What reading the file from disk answers: the metadata, or the refusal's message. */
const fromDisk = (bytes: Uint8Array) => {
  const path = join(dir, `f${Math.random()}.vsbackup`)
  writeFileSync(path, bytes)
  return Effect.runPromise(
    openBackupFile(path).pipe(
      Effect.flatMap((r) =>
        Effect.map(
          Effect.forEach(r.meta.docs, (_, i) => r.snapshot(i)),
          (snapshots) => ({ meta: r.meta, snapshots, size: r.size }),
        ),
      ),
      Effect.catchAll((e) => Effect.succeed(e.error.message)),
      Effect.scoped,
    ),
  )
}

const good = await encodeBackup(
  {
    backupId: "bk_test",
    workspaceId: "ws_1" as WorkspaceId,
    workspaceName: "Test",
    createdAt: new Date().toISOString(),
    schemaVersion: 1,
  },
  [
    { docId: "main" as DocId, cursor: 3, snapshot: new Uint8Array([1, 2, 3]) },
    { docId: "notes" as DocId, cursor: 1, snapshot: new Uint8Array(3000).fill(7) },
  ],
)

describe("backup file", () => {
  it("[S21] reads the same from disk (one pass, snapshots on demand) as from memory", async () => {
    const mem = decodeBackup(good.bytes)
    expect(Either.isRight(mem)).toBe(true)
    const disk = await fromDisk(good.bytes)
    if (typeof disk === "string") throw new Error(disk)
    expect(disk.meta).toEqual(good.meta)
    expect(disk.size).toBe(good.bytes.length)
    expect(disk.snapshots).toEqual(Either.getOrThrow(mem).snapshots)
  })

  it("[S21] refuses damaged files from disk like from memory", async () => {
    const flipped = good.bytes.slice()
    flipped[40]! ^= 1
    for (const bytes of [good.bytes.subarray(0, 30), flipped, new Uint8Array(0), good.bytes.subarray(0, 100)]) {
      const mem = decodeBackup(bytes)
      expect(Either.isLeft(mem)).toBe(true)
      expect(await fromDisk(bytes)).toBe(Either.getLeft(mem).pipe((o) => (o._tag === "Some" ? o.value : "")))
    }
  })

  it("[S22] refuses metadata whose ids the HTTP routes would refuse, and more documents than a workspace may hold", async () => {
    for (const c of badMetadataCases()) {
      const mem = decodeBackup(c.file)
      expect(Either.isLeft(mem), c.name).toBe(true)
      const message = Either.isLeft(mem) ? mem.left : ""
      expect(message, c.name).toMatch(/^backup file metadata is invalid: /)
      expect(message, c.name).toMatch(c.message)
      // Huge values are not echoed back whole.
      expect(message.length, c.name).toBeLessThan(400)
      expect(await fromDisk(c.file), c.name).toBe(message)
    }
  })

  it("[S21] hashed off the event loop, a file reads and is refused exactly as hashed in line", async () => {
    const flipped = good.bytes.slice()
    flipped[40]! ^= 1
    // A snapshot's byte changed and the file's checksum made to match: only the document's sha256 tells.
    const docDamaged = good.bytes.slice()
    docDamaged[docDamaged.length - 33 - 10]! ^= 1
    const body = docDamaged.subarray(0, docDamaged.length - 32)
    docDamaged.set(new Uint8Array(await crypto.subtle.digest("SHA-256", body)), docDamaged.length - 32)
    const files = [
      good.bytes,
      flipped,
      docDamaged,
      good.bytes.subarray(0, 30),
      new Uint8Array(0),
      good.bytes.subarray(0, 100),
      ...badMetadataCases().map((c) => c.file),
    ]
    for (const file of files) expect(await decodeBackupOffThread(file)).toEqual(decodeBackup(file))
    expect(Either.getLeft(decodeBackup(docDamaged))).toEqual(
      Option.some("backup file is damaged (document notes checksum)"),
    )
  })
})
