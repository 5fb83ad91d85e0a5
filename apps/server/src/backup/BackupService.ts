import { randomBytes } from "node:crypto"
import { SqlClient } from "@effect/sql"
import { type DocId, MAIN_DOC, type WorkspaceId } from "@vibestack/schema"
import { apiError, type BackupInfo } from "@vibestack/shared"
import { Clock, Effect, Either } from "effect"
import { Tokens } from "../auth/Tokens.js"
import { LoroPoolService } from "../pool/LoroPoolService.js"
import { DocumentCheck } from "../revert/DocumentCheck.js"
import { type RevertPlan, RevertService } from "../revert/RevertService.js"
import { ByteStore } from "../store/ByteStore.js"
import { BackupStore } from "./BackupStore.js"
import { decodeBackupOffThread, encodeBackup, sha256HexOffThread } from "./backupFile.js"
import { type BackupReader, readerOfContents } from "./backupFileReader.js"
import { materializeWorkspace } from "./materializeWorkspace.js"

/** Backups being checked and stored at once (each holds one snapshot and a pool copy in memory). */
const CONCURRENT_RESTORES = 2

const newBackupId = () => `bk_${randomBytes(12).toString("base64url")}`

/**
 * Backups and restores of workspaces (ARCHITECTURE.md "Backup, restore, history").
 *
 * - A backup is the container of backupFile.ts: one full Loro snapshot per document (from
 *   the pool's committed copy, so history is kept) plus metadata.
 * - **revert** (`RevertService`, shared with history) pushes new forward operations through PushService, like any client edit:
 *   they are validated, stored, fanned out, projected and fed. Edits that clients made
 *   concurrently (offline, or in flight) are KEPT: they merge on top of the revert when
 *   they arrive, so nothing unsynced is discarded; the result is "backup state + what
 *   came after the revert was computed".
 * - **fork** and **import** create a new workspace (new master token) whose documents
 *   start with the backup's snapshot as their first log entry, in one transaction.
 * - Nothing is stored unless every document it would store passes the whole-document check
 *   (DocumentCheck, S23): an upload, import, fork or revert is refused whole (4xx).
 */
export class BackupService extends Effect.Service<BackupService>()("BackupService", {
  effect: Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const pool = yield* LoroPoolService
    const reverts = yield* RevertService
    const bytes = yield* ByteStore
    const tokens = yield* Tokens
    const backups = yield* BackupStore
    const checks = yield* DocumentCheck
    const heavy = (yield* Effect.makeSemaphore(CONCURRENT_RESTORES)).withPermits(1)
    const context = yield* Effect.context<SqlClient.SqlClient | Tokens>()
    const orInternal = <A, E, R>(e: Effect.Effect<A, E, R>) =>
      Effect.mapError(e, (err) => apiError("Internal", `backup store: ${String(err)}`))

    const workspaceName = (ws: WorkspaceId) =>
      Effect.flatMap(orInternal(tokens.workspaceName(ws)), (name) =>
        name === undefined ? Effect.fail(apiError("NotFound", "workspace not found")) : Effect.succeed(name),
      )

    const create = Effect.fn("BackupService.create")(function* (
      ws: WorkspaceId,
      kind: "manual" | "scheduled" = "manual",
    ) {
      const name = yield* workspaceName(ws)
      const cursors = yield* orInternal(bytes.docCursors(ws))
      const docs: Array<{ docId: DocId; cursor: number; snapshot: Uint8Array }> = []
      let schemaVersion = 1
      for (const { docId, cursor } of cursors) {
        // At least the cursor read above: this node's copy may predate other nodes' commits.
        const snap = yield* pool.exportSnapshot(ws, docId, cursor)
        docs.push({ docId, cursor: snap.seq, snapshot: snap.bytes })
        if (docId === MAIN_DOC) {
          const info = yield* pool.run(ws, docId, "inspectSnapshot", { snapshot: snap.bytes, verify: false })
          schemaVersion = info.schemaVersion
        }
      }
      const createdAt = new Date(yield* Clock.currentTimeMillis).toISOString()
      const backupId = newBackupId()
      const file = yield* Effect.promise(() =>
        encodeBackup({ backupId, workspaceId: ws, workspaceName: name, createdAt, schemaVersion }, docs),
      )
      const sha256 = yield* Effect.promise(() => sha256HexOffThread(file.bytes))
      const info = infoOf({ meta: file.meta, size: file.bytes.length, sha256 }, kind)
      yield* orInternal(backups.save(info, file.bytes))
      return info
    })

    /** Proves every document of a checked file healthy, one at a time, in the pool; changes nothing. */
    const check = Effect.fn("BackupService.check")(function* (backup: BackupReader) {
      for (const [i, d] of backup.meta.docs.entries()) yield* checks.backupSnapshot(d.docId, yield* backup.snapshot(i))
    })

    /** Adds a downloaded backup file of this workspace to its list. `file` is its path on disk. */
    const upload = Effect.fn("BackupService.upload")(function* (ws: WorkspaceId, backup: BackupReader, file: string) {
      yield* workspaceName(ws)
      if (backup.meta.workspaceId !== ws)
        return yield* Effect.fail(
          apiError(
            "BadRequest",
            `this backup belongs to workspace ${backup.meta.workspaceId}, not ${ws}; import it as a new workspace instead`,
          ),
        )
      const existing = yield* orInternal(backups.get(ws, backup.meta.backupId))
      if (existing !== undefined) {
        if (existing.sha256 === backup.sha256) return existing as BackupInfo
        return yield* Effect.fail(apiError("Conflict", "a different backup with this id already exists"))
      }
      const info = infoOf(backup, "uploaded")
      // Saving into Postgres reads the (checked) file into memory once: inside the permit too.
      yield* heavy(Effect.zipRight(check(backup), orInternal(backups.save(info, { path: file }))))
      return info
    })

    const load = Effect.fn("BackupService.load")(function* (ws: WorkspaceId, backupId: string) {
      const file = yield* orInternal(backups.file(ws, backupId))
      if (file === undefined) return yield* Effect.fail(apiError("NotFound", "no such backup in this workspace"))
      // Hashed off the event loop: a large workspace's backup is tens of MB.
      const [decoded, sha256] = yield* Effect.promise(() =>
        Promise.all([decodeBackupOffThread(file), sha256HexOffThread(file)]),
      )
      if (Either.isLeft(decoded)) return yield* Effect.fail(apiError("Internal", `stored backup: ${decoded.left}`))
      return readerOfContents(file, decoded.right, sha256)
    })

    const revert = Effect.fn("BackupService.revert")(function* (ws: WorkspaceId, backupId: string) {
      const backup = yield* load(ws, backupId)
      const inBackup = new Set<string>(backup.meta.docs.map((d) => d.docId))
      // Every document's revert is computed and proven first: a refusal changes nothing.
      const plans: Array<RevertPlan> = []
      for (const [i, d] of backup.meta.docs.entries())
        plans.push(yield* reverts.plan(ws, d.docId, { _tag: "Snapshot", snapshot: yield* backup.snapshot(i) }))
      // Documents created after the backup go back to empty, as they were then.
      for (const { docId } of yield* orInternal(bytes.docCursors(ws)))
        if (!inBackup.has(docId)) plans.push(yield* reverts.plan(ws, docId, { _tag: "Version", versionVector: {} }))
      const out: Array<{ docId: DocId; seq: number | null }> = []
      for (const plan of plans) out.push({ docId: plan.doc, seq: yield* reverts.apply(ws, plan) })
      return out
    })

    const materialize = (backup: BackupReader, name: string, id: string | undefined) =>
      Effect.provide(materializeWorkspace(backup, name, id), context)

    const fork = Effect.fn("BackupService.fork")(function* (ws: WorkspaceId, backupId: string, name: string) {
      const backup = yield* load(ws, backupId)
      return yield* heavy(Effect.zipRight(check(backup), materialize(backup, name, undefined)))
    })

    /**
     * Disaster recovery: a backup file into this server as a new workspace. It keeps the
     * backup's workspace id when that id is free here (so existing share links and devices
     * find it again), else gets a new one.
     */
    const importFile = Effect.fn("BackupService.importFile")(function* (backup: BackupReader, name?: string) {
      const wanted = backup.meta.workspaceId
      const created = yield* heavy(
        Effect.gen(function* () {
          yield* check(backup)
          const taken = yield* orInternal(sql<{ id: string }>`select id from workspaces where id = ${wanted}`)
          return yield* materialize(backup, name ?? backup.meta.workspaceName, taken.length === 0 ? wanted : undefined)
        }),
      )
      return { ...created, sourceWorkspaceId: wanted }
    })

    const file = Effect.fn("BackupService.file")(function* (ws: WorkspaceId, backupId: string) {
      const f = yield* orInternal(backups.file(ws, backupId))
      if (f === undefined) return yield* Effect.fail(apiError("NotFound", "no such backup in this workspace"))
      return f
    })

    const list = (ws: WorkspaceId) =>
      Effect.map(orInternal(backups.list(ws)), (rows) => rows.map(({ filePath: _, ...info }) => info))

    const remove = Effect.fn("BackupService.remove")(function* (ws: WorkspaceId, backupId: string) {
      if (!(yield* orInternal(backups.remove(ws, backupId))))
        return yield* Effect.fail(apiError("NotFound", "no such backup in this workspace"))
    })

    return { create, upload, check, revert, fork, importFile, file, list, remove } as const
  }),
}) {}

const infoOf = (backup: Pick<BackupReader, "meta" | "size" | "sha256">, kind: BackupInfo["kind"]): BackupInfo => ({
  backupId: backup.meta.backupId,
  workspaceId: backup.meta.workspaceId,
  kind,
  createdAt: backup.meta.createdAt,
  size: backup.size,
  sha256: backup.sha256,
  schemaVersion: backup.meta.schemaVersion,
  docs: backup.meta.docs.map((d) => ({ docId: d.docId, cursor: d.cursor, size: d.length })),
})
