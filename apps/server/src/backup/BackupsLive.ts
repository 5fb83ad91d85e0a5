import { HttpApiBuilder, type HttpServerRequest, HttpServerResponse } from "@effect/platform"
import { NodeHttpServerRequest } from "@effect/platform-node"
import type { WorkspaceId } from "@vibestack/schema"
import { apiError, Principal, VibeStackApi } from "@vibestack/shared"
import { Effect } from "effect"
import { HistoryService } from "../history/HistoryService.js"
import { requireMaster, requireWorkspace } from "../http/AuthenticationLive.js"
import { readBody } from "../http/readBody.js"
import { BackupConfigTag } from "./BackupConfig.js"
import { BackupService } from "./BackupService.js"

/** Reads an uploaded backup file (octet-stream) up to the configured size. */
const readFile = (request: HttpServerRequest.HttpServerRequest, max: number) =>
  Effect.gen(function* () {
    const type = request.headers["content-type"]?.split(";")[0]?.trim()
    if (type !== "application/octet-stream")
      return yield* Effect.fail(apiError("BadRequest", "the backup file must be sent as application/octet-stream"))
    const body = yield* Effect.promise(() => readBody(NodeHttpServerRequest.toIncomingMessage(request), max))
    if (body === "too-large")
      return yield* Effect.fail(apiError("PayloadTooLarge", `a backup may be at most ${max} bytes`))
    if (body === "aborted") return yield* Effect.fail(apiError("BadRequest", "request body aborted"))
    return body
  })

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
    const config = yield* BackupConfigTag
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
          const file = yield* readFile(request, config.maxFileBytes)
          const info = yield* backups.upload(path.ws, file)
          return HttpServerResponse.unsafeJson(info, { status: 201 })
        }),
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
    const config = yield* BackupConfigTag
    return handlers.handleRaw("import", ({ request, urlParams }) =>
      Effect.gen(function* () {
        const file = yield* readFile(request, config.maxFileBytes)
        const out = yield* backups.importFile(file, urlParams.name)
        return HttpServerResponse.unsafeJson(out, { status: 201 })
      }),
    )
  }),
)
