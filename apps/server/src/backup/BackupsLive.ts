import { join } from "node:path"
import * as HttpApiBuilder from "@effect/platform/HttpApiBuilder"
import type * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import type { WorkspaceId } from "@vibestack/schema"
import { apiError, Principal, VibeStackApi } from "@vibestack/shared"
import { Context, Effect } from "effect"
import { HistoryService } from "../history/HistoryService.js"
import { requireMaster, requireWorkspace } from "../http/AuthenticationLive.js"
import { ServerConfigTag } from "../ServerConfigTag.js"
import { BackupConfigTag } from "./BackupConfig.js"
import { BackupService } from "./BackupService.js"
import { openBackupFile } from "./backupFileReader.js"
import { receiveUpload, sweepStaleUploads } from "./receiveUpload.js"

/**
 * An uploaded backup file, streamed to a temporary file under the data folder (S21) and
 * opened without loading it; both go away when the handler's scope closes.
 */
const uploadedBackup = Effect.fn("uploadedBackup")(function* (request: HttpServerRequest.HttpServerRequest) {
  const { maxFileBytes } = yield* BackupConfigTag
  const { dataDir } = yield* ServerConfigTag
  const upload = yield* receiveUpload(request, { dir: uploadsDir(dataDir), max: maxFileBytes })
  return { path: upload.path, backup: yield* openBackupFile(upload.path) }
})

const uploadsDir = (dataDir: string) => join(dataDir, "tmp", "uploads")

/** History is readable by the master and editors (viewers see only the current state). */
const requireEditor = (ws: WorkspaceId) =>
  Effect.flatMap(Principal, (p) =>
    Effect.zipRight(
      requireWorkspace(p, ws),
      p.role === "viewer" ? Effect.fail(apiError("Forbidden", "viewers cannot read the history")) : Effect.void,
    ),
  )
const master = (ws: WorkspaceId) => Effect.flatMap(Principal, (p) => requireMaster(p, ws))

export const BackupsLive = HttpApiBuilder.group(VibeStackApi, "backups", (handlers) =>
  Effect.gen(function* () {
    const backups = yield* BackupService
    const history = yield* HistoryService
    const context = yield* Effect.context<BackupConfigTag | ServerConfigTag>()
    return handlers
      .handle("create", ({ path }) => Effect.zipRight(master(path.ws), backups.create(path.ws)))
      .handle("list", ({ path }) =>
        Effect.zipRight(
          master(path.ws),
          Effect.map(backups.list(path.ws), (list) => ({ backups: list })),
        ),
      )
      .handleRaw("file", ({ path }) =>
        Effect.gen(function* () {
          yield* master(path.ws)
          const file = yield* backups.file(path.ws, path.backupId)
          return HttpServerResponse.uint8Array(file, {
            contentType: "application/octet-stream",
            headers: {
              "content-disposition": `attachment; filename="${path.ws}-${path.backupId}.vsbackup"`,
              "cache-control": "no-store",
            },
          })
        }),
      )
      .handleRaw("upload", ({ path, request }) =>
        Effect.gen(function* () {
          yield* master(path.ws)
          const file = yield* uploadedBackup(request)
          const info = yield* backups.upload(path.ws, file.backup, file.path)
          return HttpServerResponse.unsafeJson(info, { status: 201 })
        }).pipe(Effect.scoped, Effect.provide(context)),
      )
      .handle("restore", ({ path, payload }) =>
        Effect.gen(function* () {
          yield* master(path.ws)
          if (payload.mode === "revert")
            return { mode: "revert" as const, docs: yield* backups.revert(path.ws, path.backupId) }
          const forked = yield* backups.fork(path.ws, path.backupId, payload.name)
          return { mode: "fork" as const, ...forked }
        }),
      )
      .handle("delete", ({ path }) => Effect.zipRight(master(path.ws), backups.remove(path.ws, path.backupId)))
      .handle("history", ({ path, urlParams }) =>
        Effect.zipRight(
          requireEditor(path.ws),
          history.list(path.ws, path.doc, { before: urlParams.before, limit: urlParams.limit }),
        ),
      )
      .handle("state", ({ path, urlParams }) =>
        Effect.zipRight(requireEditor(path.ws), history.stateAt(path.ws, path.doc, urlParams.version)),
      )
      .handle("restoreVersion", ({ path, payload }) =>
        Effect.zipRight(master(path.ws), history.restore(path.ws, path.doc, payload.version)),
      )
  }),
)

/** Import is open like registration: it only ever creates a new workspace with a new master token. */
export const BackupImportLive = HttpApiBuilder.group(VibeStackApi, "backupImport", (handlers) =>
  Effect.gen(function* () {
    const backups = yield* BackupService
    const context = yield* Effect.context<BackupConfigTag | ServerConfigTag>()
    // Uploads cut short by a crash or a kill leave their temporary files: clear old ones.
    yield* sweepStaleUploads(uploadsDir(Context.get(context, ServerConfigTag).dataDir))
    return handlers.handleRaw("import", ({ request, urlParams }) =>
      Effect.gen(function* () {
        const file = yield* uploadedBackup(request)
        const out = yield* backups.importFile(file.backup, urlParams.name)
        return HttpServerResponse.unsafeJson(out, { status: 201 })
      }).pipe(Effect.scoped, Effect.provide(context)),
    )
  }),
)
