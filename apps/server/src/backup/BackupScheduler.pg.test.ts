import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import type { WorkspaceId } from "@vibestack/schema"
import { Effect, Either, Exit, type Layer, ManagedRuntime } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { Tokens } from "../auth/Tokens.js"
import { CoreLive } from "../Server.js"
import { PushService } from "../store/PushService.js"
import { updateChain } from "../test/http.js"
import { freePort, startTestPg, type TestPg } from "../test/pg.js"
import { testConfig } from "../test/server.js"
import { backupRound } from "./BackupScheduler.js"
import { BackupService } from "./BackupService.js"
import { decodeBackup } from "./backupFile.js"

const dir = mkdtempSync(join(tmpdir(), "vibestack-backups-"))
let pg: TestPg
let runtime: ManagedRuntime.ManagedRuntime<Layer.Layer.Success<ReturnType<typeof CoreLive>>, unknown>

beforeAll(async () => {
  // Backup settings come from the environment, like in production.
  process.env.VIBESTACK_BACKUP_DIR = dir
  process.env.VIBESTACK_BACKUP_RETENTION = "2"
  process.env.VIBESTACK_BACKUP_INTERVAL = "0"
  pg = await startTestPg()
  const config = testConfig(pg.url, { port: await freePort() })
  runtime = ManagedRuntime.make(CoreLive(config, { attachEmbedded: true }))
  await runtime.runPromise(Effect.void)
}, 120_000)
afterAll(async () => {
  await runtime?.dispose()
  await pg?.dispose()
  rmSync(dir, { recursive: true, force: true })
})

describe("scheduled backups", () => {
  it("a round backs up only workspaces that changed since their last backup, keeps the newest N scheduled ones, in the backup folder", async () => {
    const chain = updateChain(4)
    const { ws, quiet } = await runtime.runPromise(
      Effect.gen(function* () {
        const tokens = yield* Tokens
        const ws = (yield* tokens.register({ id: undefined, name: "busy", creatorKey: undefined }))
          .workspaceId as WorkspaceId
        const quiet = (yield* tokens.register({ id: undefined, name: "quiet", creatorKey: undefined }))
          .workspaceId as WorkspaceId
        return { ws, quiet }
      }),
    )
    const push = (i: number) =>
      runtime.runPromise(
        Effect.flatMap(PushService, (p) =>
          p.push({ ws, doc: "main" as never, bytes: chain[i]!, idempotencyKey: `s${i}`, clientId: undefined }),
        ),
      )
    const round = () => runtime.runPromise(backupRound)
    const list = () => runtime.runPromise(Effect.flatMap(BackupService, (s) => s.list(ws)))

    await push(0)
    const first = await round()
    expect(first.backedUp).toBeGreaterThanOrEqual(1)
    expect((await list()).length).toBe(1)
    // Nothing changed: no new backup of it; the never-written workspace is never backed up.
    await round()
    expect((await list()).length).toBe(1)
    expect(await runtime.runPromise(Effect.flatMap(BackupService, (s) => s.list(quiet)))).toEqual([])
    for (const i of [1, 2, 3]) {
      await push(i)
      await round()
    }
    const kept = await list()
    expect(kept.length).toBe(2)
    expect(kept.map((b) => b.docs[0]!.cursor)).toEqual([4, 3])
    // Files live in the folder, one per kept backup; pruned ones are gone.
    expect(readdirSync(join(dir, ws)).sort()).toEqual(kept.map((b) => `${b.backupId}.vsbackup`).sort())
    const file = await runtime.runPromise(Effect.flatMap(BackupService, (s) => s.file(ws, kept[0]!.backupId)))
    const decoded = decodeBackup(file)
    expect(Either.isRight(decoded) && decoded.right.meta.docs[0]!.cursor).toBe(4)
    // A manual backup is never pruned by retention.
    const manual = await runtime.runPromise(Effect.flatMap(BackupService, (s) => s.create(ws, "manual")))
    expect((await list()).map((b) => b.backupId)).toContain(manual.backupId)
    const removed = await runtime.runPromiseExit(Effect.flatMap(BackupService, (s) => s.remove(ws, manual.backupId)))
    expect(Exit.isSuccess(removed)).toBe(true)
    expect(existsSync(join(dir, ws, `${manual.backupId}.vsbackup`))).toBe(false)
  }, 120_000)
})
