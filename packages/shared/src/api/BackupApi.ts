import * as HttpApiEndpoint from "@effect/platform/HttpApiEndpoint"
import * as HttpApiGroup from "@effect/platform/HttpApiGroup"
import * as HttpApiSchema from "@effect/platform/HttpApiSchema"
import * as OpenApi from "@effect/platform/OpenApi"
import { DocId, WorkspaceId } from "@vibestack/schema"
import { Schema } from "effect"
import {
  BadRequest,
  Conflict,
  Forbidden,
  Internal,
  InvalidUpdate,
  NotFound,
  Overloaded,
  PayloadTooLarge,
  Unavailable,
} from "./ApiErrors.js"

/**
 * Backups, restore and version history (ARCHITECTURE.md "Backup, restore, history").
 * Backup files are binary (see apps/server/src/backup/backupFile.ts) and served raw.
 * `BackupsGroup` gets the bearer `Authentication` where Api.ts adds it (this file cannot
 * import Api.ts: the two would import each other).
 */
const WsPath = Schema.Struct({ ws: WorkspaceId })
const BackupPath = Schema.Struct({ ws: WorkspaceId, backupId: Schema.String })
const DocPath = Schema.Struct({ ws: WorkspaceId, doc: DocId })

export const BackupInfo = Schema.Struct({
  backupId: Schema.String,
  workspaceId: WorkspaceId,
  kind: Schema.Literal("manual", "scheduled", "uploaded"),
  createdAt: Schema.String,
  /** Size of the backup file in bytes. */
  size: Schema.Int,
  /** sha256 (hex) of the whole backup file. */
  sha256: Schema.String,
  schemaVersion: Schema.Int,
  /** Per document: the byte-store cursor the backup covers and the snapshot's size. */
  docs: Schema.Array(Schema.Struct({ docId: DocId, cursor: Schema.Int, size: Schema.Int })),
})
export type BackupInfo = typeof BackupInfo.Type

export const BackupListing = Schema.Struct({ backups: Schema.Array(BackupInfo) })

export const RestoreRequest = Schema.Union(
  Schema.Struct({ mode: Schema.Literal("revert") }),
  Schema.Struct({ mode: Schema.Literal("fork"), name: Schema.String.pipe(Schema.minLength(1), Schema.maxLength(200)) }),
)

/** Per document: the seq of the pushed revert update, or null if nothing had to change. */
export const Reverted = Schema.Struct({
  mode: Schema.Literal("revert"),
  docs: Schema.Array(Schema.Struct({ docId: DocId, seq: Schema.NullOr(Schema.Int) })),
})
export const Forked = Schema.Struct({
  mode: Schema.Literal("fork"),
  workspaceId: WorkspaceId,
  masterToken: Schema.String,
})
export const RestoreResult = Schema.Union(Reverted, Forked)

export const HistoryParams = Schema.Struct({
  /** Versions with seq below this (paging backwards); default: the newest. */
  before: Schema.optional(Schema.NumberFromString.pipe(Schema.int(), Schema.positive())),
  limit: Schema.optional(Schema.NumberFromString.pipe(Schema.int(), Schema.between(1, 1000))),
})
export const DocVersion = Schema.Struct({
  /** The byte-store seq of the update that made this version. */
  version: Schema.Int,
  /** When the server committed it (ISO). */
  time: Schema.String,
  /** Loro peer ids (decimal strings) that wrote the update's changes. */
  peers: Schema.Array(Schema.String),
  changes: Schema.Int,
})
export const DocHistory = Schema.Struct({
  docId: DocId,
  versions: Schema.Array(DocVersion),
  /** Pass as `before` for the next (older) page; null when there is none. */
  nextBefore: Schema.NullOr(Schema.Int),
})
export const StateParams = Schema.Struct({
  version: Schema.NumberFromString.pipe(Schema.int(), Schema.positive()),
})
export const DocState = Schema.Struct({ docId: DocId, version: Schema.Int, state: Schema.Unknown })
export const RestoreVersion = Schema.Struct({ version: Schema.Int.pipe(Schema.positive()) })
export const RevertedDoc = Schema.Struct({ docId: DocId, seq: Schema.NullOr(Schema.Int) })

export const ImportParams = Schema.Struct({
  /** Name of the new workspace; default: the backup's. */
  name: Schema.optional(Schema.String.pipe(Schema.minLength(1), Schema.maxLength(200))),
})
export const Imported = Schema.Struct({
  workspaceId: WorkspaceId,
  masterToken: Schema.String,
  /** The id the backup was taken from. */
  sourceWorkspaceId: Schema.String,
})

export class BackupsGroup extends HttpApiGroup.make("backups")
  .add(
    HttpApiEndpoint.post("create", "/workspaces/:ws/backups")
      .setPath(WsPath)
      .addSuccess(BackupInfo, { status: 201 })
      .annotate(OpenApi.Description, "Back up every document of the workspace now (master)."),
  )
  .add(HttpApiEndpoint.get("list", "/workspaces/:ws/backups").setPath(WsPath).addSuccess(BackupListing))
  .add(
    HttpApiEndpoint.get("file", "/workspaces/:ws/backups/:backupId/file")
      .setPath(BackupPath)
      .addSuccess(HttpApiSchema.Uint8Array({ contentType: "application/octet-stream" }))
      .annotate(OpenApi.Description, "The backup as one self-checking file (magic, metadata, snapshots, sha256)."),
  )
  .add(
    HttpApiEndpoint.post("upload", "/workspaces/:ws/backups/upload")
      .setPath(WsPath)
      .setPayload(HttpApiSchema.Uint8Array({ contentType: "application/octet-stream" }))
      .addSuccess(BackupInfo, { status: 201 })
      .addError(PayloadTooLarge)
      .addError(InvalidUpdate)
      .annotate(
        OpenApi.Description,
        "Adds a downloaded backup file of THIS workspace to its list (e.g. to revert to it); other workspaces' files are refused.",
      ),
  )
  .add(
    HttpApiEndpoint.post("restore", "/workspaces/:ws/backups/:backupId/restore")
      .setPath(BackupPath)
      .setPayload(RestoreRequest)
      .addSuccess(RestoreResult)
      .annotate(
        OpenApi.Description,
        "revert: new forward operations bring the live documents back to the backup's state (edits made after it and synced later are kept, merged on top); fork: a new workspace from the backup, with a new master token.",
      ),
  )
  .add(
    HttpApiEndpoint.del("delete", "/workspaces/:ws/backups/:backupId")
      .setPath(BackupPath)
      .addSuccess(HttpApiSchema.NoContent),
  )
  .add(
    HttpApiEndpoint.get("history", "/workspaces/:ws/docs/:doc/history")
      .setPath(DocPath)
      .setUrlParams(HistoryParams)
      .addSuccess(DocHistory)
      .annotate(OpenApi.Description, "The document's versions, newest first (master and editors)."),
  )
  .add(
    HttpApiEndpoint.get("state", "/workspaces/:ws/docs/:doc/history/state")
      .setPath(DocPath)
      .setUrlParams(StateParams)
      .addSuccess(DocState)
      .annotate(OpenApi.Description, "The document's JSON state at a version (master and editors)."),
  )
  .add(
    HttpApiEndpoint.post("restoreVersion", "/workspaces/:ws/docs/:doc/history/restore")
      .setPath(DocPath)
      .setPayload(RestoreVersion)
      .addSuccess(RevertedDoc)
      .annotate(OpenApi.Description, "Reverts the document to a version, like a backup's revert (master)."),
  )
  .addError(Forbidden)
  .addError(BadRequest)
  .addError(NotFound)
  .addError(Conflict)
  .addError(InvalidUpdate)
  .addError(PayloadTooLarge)
  .addError(Unavailable)
  .addError(Internal)
  .addError(Overloaded)
  .annotate(OpenApi.Title, "Backups and version history") {}

export class BackupImportGroup extends HttpApiGroup.make("backupImport")
  .add(
    HttpApiEndpoint.post("import", "/backups/import")
      .setUrlParams(ImportParams)
      .setPayload(HttpApiSchema.Uint8Array({ contentType: "application/octet-stream" }))
      .addSuccess(Imported, { status: 201 })
      .addError(BadRequest)
      .addError(PayloadTooLarge)
      .addError(InvalidUpdate)
      .addError(Conflict)
      .addError(Unavailable)
      .addError(Internal)
      .addError(Overloaded)
      .annotate(
        OpenApi.Description,
        "Creates a NEW workspace (new id, new master token) from a backup file, like registration: open to anyone, size-limited, touches no existing data.",
      ),
  )
  .annotate(OpenApi.Title, "Backup import (disaster recovery)") {}
