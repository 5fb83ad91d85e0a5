import { copyFile, mkdir, readFile, rename, rm, writeFile } from "node:fs/promises"
import { join } from "node:path"
import { SqlClient } from "@effect/sql"
import type { DocId, WorkspaceId } from "@vibestack/schema"
import type { BackupInfo } from "@vibestack/shared"
import { Effect, Option } from "effect"
import { assemblePieces, isPiece, type Nullable, type PieceRow, piecesOf } from "../store/storedBytes.js"
import { BackupConfigTag } from "./BackupConfig.js"

export interface StoredBackup extends BackupInfo {
  readonly filePath: string | null
}

interface Row {
  readonly id: string
  readonly workspaceId: string
  readonly kind: BackupInfo["kind"]
  readonly createdAt: Date
  readonly size: number
  readonly sha256: string
  readonly schemaVersion: number
  readonly docs: ReadonlyArray<{ docId: string; cursor: number; size: number }> | string
  readonly filePath: string | null
}

const toInfo = (r: Row): StoredBackup => ({
  backupId: r.id,
  workspaceId: r.workspaceId as WorkspaceId,
  kind: r.kind,
  createdAt: r.createdAt.toISOString(),
  size: Number(r.size),
  sha256: r.sha256,
  schemaVersion: r.schemaVersion,
  docs: (typeof r.docs === "string" ? JSON.parse(r.docs) : r.docs) as BackupInfo["docs"] & Array<{ docId: DocId }>,
  filePath: r.filePath,
})

/**
 * Where backup files live: the `backups` table (bytea) by default, or a folder
 * (`VIBESTACK_BACKUP_DIR`) with only the metadata in the table. A folder file is written
 * to a temporary name and renamed before its row commits, so a listed backup always has
 * its whole file.
 */
export class BackupStore extends Effect.Service<BackupStore>()("BackupStore", {
  effect: Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const config = yield* BackupConfigTag
    const cols = sql.literal("id, workspace_id, kind, created_at, size, sha256, schema_version, docs, file_path")

    /** Saves a backup given as bytes, or as a file on disk (an upload: copied, or read once for Postgres). */
    const save = Effect.fn("BackupStore.save")(function* (
      info: BackupInfo,
      file: Uint8Array | { readonly path: string },
    ) {
      let filePath: string | null = null
      let bytes: Uint8Array | null = null
      if (Option.isSome(config.dir)) {
        const dir = join(config.dir.value, info.workspaceId)
        const target = join(dir, `${info.backupId}.vsbackup`)
        yield* Effect.promise(async () => {
          await mkdir(dir, { recursive: true })
          if (file instanceof Uint8Array) await writeFile(`${target}.tmp`, file)
          else await copyFile(file.path, `${target}.tmp`)
          await rename(`${target}.tmp`, target)
        })
        filePath = target
      } else bytes = file instanceof Uint8Array ? file : yield* Effect.promise(() => readFile(file.path))
      const buf = bytes === null ? null : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
      yield* sql`insert into backups (id, workspace_id, kind, created_at, size, sha256, schema_version, docs, bytes, file_path)
        values (${info.backupId}, ${info.workspaceId}, ${info.kind}, ${new Date(info.createdAt)}, ${info.size},
                ${info.sha256}, ${info.schemaVersion}, ${JSON.stringify(info.docs)}::jsonb,
                ${buf}, ${filePath})`
    })

    const list = (ws: WorkspaceId) =>
      Effect.map(
        sql<Row>`select ${cols} from backups where workspace_id = ${ws} order by created_at desc, id`,
        (rows) => rows.map(toInfo),
      )

    const get = (ws: WorkspaceId, id: string) =>
      Effect.map(sql<Row>`select ${cols} from backups where workspace_id = ${ws} and id = ${id}`, (rows) =>
        rows[0] === undefined ? undefined : toInfo(rows[0]),
      )

    /** The backup's file, or undefined if there is no such backup in this workspace. */
    const file = Effect.fn("BackupStore.file")(function* (ws: WorkspaceId, id: string) {
      // The bytes as base64 pieces (`storedBytes.ts`): a 100,000-task backup read as hex
      // blocked the event loop 0.74 s. A backup kept as a file has no bytes, so no piece.
      const p = piecesOf(sql, "one")
      const rows = yield* sql<{ filePath: string | null } & Nullable<PieceRow>>`
        select b.file_path, pieces.* from backups b
        left join lateral (
          select ${p.columns} from (select 0 as seq, b.bytes) one cross join lateral ${p.series}
        ) pieces on b.bytes is not null
        where b.workspace_id = ${ws} and b.id = ${id} order by pieces.piece_at`
      const row = rows[0]
      if (row === undefined) return undefined
      if (row.base64 !== null) return assemblePieces(rows.filter(isPiece))[0]!.bytes
      const path = row.filePath!
      return yield* Effect.promise(() => readFile(path).then((b) => new Uint8Array(b.buffer, b.byteOffset, b.length)))
    })

    const remove = Effect.fn("BackupStore.remove")(function* (ws: WorkspaceId, id: string) {
      const rows = yield* sql<{ filePath: string | null }>`
        delete from backups where workspace_id = ${ws} and id = ${id} returning file_path`
      const path = rows[0]?.filePath
      if (path) yield* Effect.promise(() => rm(path, { force: true }))
      return rows.length > 0
    })

    /** Workspaces whose documents moved past what their newest backup covers (or that have none). */
    const changedSinceLastBackup = sql<{ workspaceId: WorkspaceId }>`
      select w.id as workspace_id from workspaces w
      where exists (select 1 from docs d where d.workspace_id = w.id and d.last_seq > 0)
        and coalesce((select sum(d.last_seq) from docs d where d.workspace_id = w.id), 0) <>
            coalesce((select (select sum((e->>'cursor')::bigint) from jsonb_array_elements(b.docs) e)
                      from backups b where b.workspace_id = w.id and b.kind <> 'uploaded'
                      order by b.created_at desc limit 1), -1)`

    /** Drops scheduled backups past the newest `keep` of the workspace. */
    const prune = Effect.fn("BackupStore.prune")(function* (ws: WorkspaceId, keep: number) {
      const old = yield* sql<{ id: string }>`
        select id from backups where workspace_id = ${ws} and kind = 'scheduled'
        order by created_at desc, id offset ${keep}`
      for (const r of old) yield* remove(ws, r.id)
      return old.length
    })

    return { save, list, get, file, remove, changedSinceLastBackup, prune } as const
  }),
}) {}
