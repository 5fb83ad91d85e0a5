import { randomBytes } from "node:crypto"
import { SqlClient } from "@effect/sql"
import { type DocId, MAIN_DOC, type WorkspaceId } from "@vibestack/schema"
import { apiError, type BackupInfo, type Internal, type Unavailable } from "@vibestack/shared"
import { Effect, Either } from "effect"
import { Tokens } from "../auth/Tokens.js"
import type { LoroPool } from "../pool/LoroPool.js"
import { LoroPoolService } from "../pool/LoroPoolService.js"
import type { RevertTarget } from "../pool/ops/revertDoc.js"
import { PoolError } from "../pool/PoolError.js"
import { ByteStore } from "../store/ByteStore.js"
import { PushService } from "../store/PushService.js"
import { BackupStore } from "./BackupStore.js"
import { type BackupContents, decodeBackup, encodeBackup, sha256Hex } from "./backupFile.js"

/** Untrusted snapshots (uploads, imports) are inspected under this key: never a real document. */
const SCRATCH = { ws: "~backup-scratch", doc: "inspect" } as const
const REVERT_CLIENT = "vibestack:revert"

const newBackupId = () => `bk_${randomBytes(12).toString("base64url")}`

/** A pool call as an Effect; Loro's refusal of stored or uploaded data becomes `onInternal`. */
const usePool = <A, E = Internal>(
  pool: LoroPool,
  f: (p: LoroPool) => Promise<A>,
  onInternal: (message: string) => E = (m) => apiError("Internal", m) as E,
): Effect.Effect<A, E | Unavailable> =>
  Effect.tryPromise({
    try: () => f(pool),
    catch: (e): E | Unavailable =>
      e instanceof PoolError && e.kind === "Unavailable"
        ? apiError("Unavailable", e.message)
        : onInternal(e instanceof Error ? e.message : String(e)),
  })

/**
 * Backups and restores of workspaces (ARCHITECTURE.md "Backup, restore, history").
 *
 * - A backup is the container of backupFile.ts: one full Loro snapshot per document (from
 *   the pool's committed copy, so history is kept) plus metadata.
 * - **revert** pushes new forward operations through PushService, like any client edit:
 *   they are validated, stored, fanned out, projected and fed. Edits that clients made
 *   concurrently (offline, or in flight) are KEPT: they merge on top of the revert when
 *   they arrive, so nothing unsynced is discarded; the result is "backup state + what
 *   came after the revert was computed".
 * - **fork** and **import** create a new workspace (new master token) whose documents
 *   start with the backup's snapshot as their first log entry.
 */
export class BackupService extends Effect.Service<BackupService>()("BackupService", {
  effect: Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const pool = yield* LoroPoolService
    const pushes = yield* PushService
    const bytes = yield* ByteStore
    const tokens = yield* Tokens
    const backups = yield* BackupStore
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
      const docs: Array<{ docId: string; cursor: number; snapshot: Uint8Array }> = []
      let schemaVersion = 1
      for (const { docId, cursor } of cursors) {
        // At least the cursor read above: this node's copy may predate other nodes' commits.
        const snap = yield* usePool(pool, (p) => p.exportSnapshot(ws, docId, cursor))
        docs.push({ docId, cursor: snap.seq, snapshot: snap.bytes })
        if (docId === MAIN_DOC) {
          const info = yield* usePool(pool, (p) =>
            p.run(ws, docId, "inspectSnapshot", { snapshot: snap.bytes, verify: false }),
          )
          schemaVersion = info.schemaVersion
        }
      }
      const createdAt = new Date().toISOString()
      const backupId = newBackupId()
      const file = encodeBackup({ backupId, workspaceId: ws, workspaceName: name, createdAt, schemaVersion }, docs)
      const info: BackupInfo = infoOf(file.bytes, kind, file.meta)
      yield* orInternal(backups.save(info, file.bytes))
      return info
    })

    /** Decodes a file and proves each snapshot loads cleanly, in the pool; changes nothing. */
    const check = Effect.fn("BackupService.check")(function* (file: Uint8Array) {
      const decoded = decodeBackup(file)
      if (Either.isLeft(decoded)) return yield* Effect.fail(apiError("BadRequest", decoded.left))
      for (const [i, snapshot] of decoded.right.snapshots.entries()) {
        const docId = decoded.right.meta.docs[i]!.docId
        yield* usePool(
          pool,
          (p) => p.run(SCRATCH.ws, SCRATCH.doc, "inspectSnapshot", { snapshot, verify: true }),
          (m) => apiError("InvalidUpdate", `backup document ${docId} does not load: ${m}`),
        )
      }
      return decoded.right
    })

    /** Adds a downloaded backup file of this workspace to its list. */
    const upload = Effect.fn("BackupService.upload")(function* (ws: WorkspaceId, file: Uint8Array) {
      yield* workspaceName(ws)
      const contents = yield* check(file)
      if (contents.meta.workspaceId !== ws)
        return yield* Effect.fail(
          apiError(
            "BadRequest",
            `this backup belongs to workspace ${contents.meta.workspaceId}, not ${ws}; import it as a new workspace instead`,
          ),
        )
      const existing = yield* orInternal(backups.get(ws, contents.meta.backupId))
      if (existing !== undefined) {
        if (existing.sha256 === sha256Hex(file)) return existing as BackupInfo
        return yield* Effect.fail(apiError("Conflict", "a different backup with this id already exists"))
      }
      const info = infoOf(file, "uploaded", contents.meta)
      yield* orInternal(backups.save(info, file))
      return info
    })

    const load = Effect.fn("BackupService.load")(function* (ws: WorkspaceId, backupId: string) {
      const file = yield* orInternal(backups.file(ws, backupId))
      if (file === undefined) return yield* Effect.fail(apiError("NotFound", "no such backup in this workspace"))
      const decoded = decodeBackup(file)
      if (Either.isLeft(decoded)) return yield* Effect.fail(apiError("Internal", `stored backup: ${decoded.left}`))
      return decoded.right
    })

    /** Pushes the ops that bring one document to `target`; the seq, or null when nothing changed. */
    const revertDoc = (ws: WorkspaceId, doc: DocId, target: RevertTarget) =>
      Effect.gen(function* () {
        const r = yield* usePool(
          pool,
          (p) => p.run(ws, doc, "revertDoc", { target }),
          (m) => apiError("BadRequest", `cannot revert ${doc}: ${m}`),
        )
        if (r.update === null) return null
        const out = yield* pushes.push({
          ws,
          doc,
          bytes: r.update,
          idempotencyKey: `revert-${randomBytes(12).toString("base64url")}`,
          clientId: REVERT_CLIENT,
        })
        return out.seq
      })

    const revert = Effect.fn("BackupService.revert")(function* (ws: WorkspaceId, backupId: string) {
      const contents = yield* load(ws, backupId)
      const inBackup = new Set(contents.meta.docs.map((d) => d.docId))
      const out: Array<{ docId: DocId; seq: number | null }> = []
      for (const [i, d] of contents.meta.docs.entries()) {
        const docId = d.docId as DocId
        const snapshot = contents.snapshots[i]!
        out.push({ docId, seq: yield* revertDoc(ws, docId, { _tag: "Snapshot", snapshot }) })
      }
      // Documents created after the backup go back to empty, as they were then.
      for (const { docId } of yield* orInternal(bytes.docCursors(ws)))
        if (!inBackup.has(docId))
          out.push({ docId, seq: yield* revertDoc(ws, docId, { _tag: "Version", versionVector: {} }) })
      return out
    })

    /** A new workspace holding the backup's documents. */
    const materialize = (contents: BackupContents, name: string, id: string | undefined) =>
      Effect.gen(function* () {
        const registered = yield* tokens
          .register({ id, name, creatorKey: undefined })
          .pipe(Effect.catchTag("SqlError", (e) => Effect.fail(apiError("Internal", String(e)))))
        const ws = registered.workspaceId as WorkspaceId
        for (const [i, d] of contents.meta.docs.entries()) {
          // A snapshot is a valid log entry (clients and the projection import it like an
          // update); it is our own checked bytes, so it skips the push path's update-only rule.
          yield* bytes.append({
            ws,
            doc: d.docId as DocId,
            bytes: contents.snapshots[i]!,
            idempotencyKey: `restore-${contents.meta.backupId}`,
            clientId: REVERT_CLIENT,
          })
        }
        return { workspaceId: ws, masterToken: registered.masterToken }
      })

    const fork = Effect.fn("BackupService.fork")(function* (ws: WorkspaceId, backupId: string, name: string) {
      const contents = yield* load(ws, backupId)
      return yield* materialize(contents, name, undefined)
    })

    /**
     * Disaster recovery: a backup file into this server as a new workspace. It keeps the
     * backup's workspace id when that id is free here (so existing share links and devices
     * find it again), else gets a new one.
     */
    const importFile = Effect.fn("BackupService.importFile")(function* (file: Uint8Array, name?: string) {
      const contents = yield* check(file)
      const wanted = contents.meta.workspaceId
      const taken = yield* orInternal(sql<{ id: string }>`select id from workspaces where id = ${wanted}`)
      const created = yield* materialize(
        contents,
        name ?? contents.meta.workspaceName,
        taken.length === 0 ? wanted : undefined,
      ).pipe(
        Effect.catchIf(
          (e) => e.error.kind === "Conflict",
          () => materialize(contents, name ?? contents.meta.workspaceName, undefined),
        ),
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

    return { create, upload, check, revert, revertDoc, fork, importFile, file, list, remove } as const
  }),
}) {}

const infoOf = (file: Uint8Array, kind: BackupInfo["kind"], meta: BackupContents["meta"]): BackupInfo => ({
  backupId: meta.backupId,
  workspaceId: meta.workspaceId as WorkspaceId,
  kind,
  createdAt: meta.createdAt,
  size: file.length,
  sha256: sha256Hex(file),
  schemaVersion: meta.schemaVersion,
  docs: meta.docs.map((d) => ({ docId: d.docId as DocId, cursor: d.cursor, size: d.length })),
})
