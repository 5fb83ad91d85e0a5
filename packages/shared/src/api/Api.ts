import {
  HttpApi,
  HttpApiEndpoint,
  HttpApiGroup,
  HttpApiMiddleware,
  HttpApiSchema,
  HttpApiSecurity,
  OpenApi,
} from "@effect/platform"
import { AccessRole, DocId, Role, TokenId, WorkspaceId } from "@vibestack/schema"
import { Context, Schema } from "effect"
import {
  BadRequest,
  Conflict,
  Forbidden,
  Internal,
  InvalidUpdate,
  NotFound,
  Overloaded,
  PayloadTooLarge,
  Unauthorized,
  Unavailable,
} from "./ApiErrors.js"
import { BackupImportGroup, BackupsGroup } from "./BackupApi.js"
import { ShapeGroup } from "./ShapeApi.js"

/**
 * The HTTP contract of ARCHITECTURE.md "Public surface", as one `HttpApi`. The server
 * implements it (apps/server/src/http), the OpenAPI document is derived from it.
 * Binary routes (push, pull, snapshot) are declared here for the document and served
 * raw, because their bodies are Loro bytes and their limits are checked while reading.
 */

/** Who a verified bearer token speaks for; provided to handlers by `Authentication`. */
export class Principal extends Context.Tag("@vibestack/Principal")<
  Principal,
  { readonly workspaceId: WorkspaceId; readonly role: Role; readonly tokenId: TokenId }
>() {}

export class Authentication extends HttpApiMiddleware.Tag<Authentication>()("Authentication", {
  failure: Schema.Union(Unauthorized, Unavailable),
  provides: Principal,
  security: { bearer: HttpApiSecurity.bearer },
}) {}

const WsPath = Schema.Struct({ ws: WorkspaceId })
const DocPath = Schema.Struct({ ws: WorkspaceId, doc: DocId })

/** Longest workspace name and share-link label the server accepts (UIs show the limit). */
export const WORKSPACE_NAME_MAX = 200
export const TOKEN_LABEL_MAX = 200

export const RegisterWorkspace = Schema.Struct({
  id: Schema.optional(WorkspaceId),
  name: Schema.String.pipe(Schema.minLength(1), Schema.maxLength(WORKSPACE_NAME_MAX)),
  /** A secret the creating device keeps: the same id and key again returns the workspace instead of 409. */
  creatorKey: Schema.optional(Schema.String.pipe(Schema.minLength(16), Schema.maxLength(128))),
})
export const Registered = Schema.Struct({ workspaceId: WorkspaceId, masterToken: Schema.String })

export const WorkspaceInfoResponse = Schema.Struct({
  workspaceId: WorkspaceId,
  name: Schema.String,
  role: Role,
  docs: Schema.Array(Schema.Struct({ docId: DocId, cursor: Schema.Int })),
})

export const MintToken = Schema.Struct({
  role: AccessRole,
  label: Schema.optional(Schema.String.pipe(Schema.maxLength(TOKEN_LABEL_MAX))),
  expiresInSeconds: Schema.optional(Schema.Int.pipe(Schema.between(60, 10 * 365 * 24 * 3600))),
})
export const MintedToken = Schema.Struct({
  tokenId: TokenId,
  token: Schema.String,
  role: AccessRole,
  expiresAt: Schema.String,
  shareUrl: Schema.String,
})
export const TokenListing = Schema.Struct({
  tokens: Schema.Array(
    Schema.Struct({
      tokenId: TokenId,
      role: Role,
      label: Schema.String,
      expiresAt: Schema.String,
      revokedAt: Schema.NullOr(Schema.String),
    }),
  ),
})

export const PushResponse = Schema.Struct({ seq: Schema.Int, duplicate: Schema.Boolean })
export const PullParams = Schema.Struct({
  after: Schema.optional(Schema.NumberFromString.pipe(Schema.int(), Schema.nonNegative())),
  limit: Schema.optional(Schema.NumberFromString.pipe(Schema.int(), Schema.between(1, 10_000))),
})

/** One readiness check (docs/OPERATIONS.md "Health"): ok, degraded (serving; look at it) or unavailable. */
export const HealthCheck = Schema.Struct({
  name: Schema.String,
  status: Schema.Literal("ok", "degraded", "unavailable"),
  reason: Schema.String,
})

/** `GET /healthz`: liveness (200 while the process answers) with the readiness checks for the curious. */
export const Health = Schema.Struct({
  status: Schema.Literal("ok", "degraded"),
  database: Schema.Literal("ok", "down"),
  replicationLagBytes: Schema.NullOr(Schema.Number),
  projectionLag: Schema.NullOr(Schema.Number),
  node: Schema.String,
  /** Would /readyz answer 200? */
  ready: Schema.Boolean,
  uptimeSeconds: Schema.Number,
  checks: Schema.Array(HealthCheck),
})

/** `GET /readyz`: 200 when ok or degraded, 503 (error shape plus these fields) when unavailable. */
export const Readiness = Schema.Struct({
  status: Schema.Literal("ok", "degraded", "unavailable"),
  node: Schema.String,
  checks: Schema.Array(HealthCheck),
})

export class WorkspacesGroup extends HttpApiGroup.make("workspaces")
  .add(
    HttpApiEndpoint.post("register", "/workspaces")
      .setPayload(RegisterWorkspace)
      .addSuccess(Registered, { status: 201 })
      .addError(Conflict)
      .addError(BadRequest)
      .addError(Overloaded),
  )
  .add(
    HttpApiEndpoint.get("info", "/workspaces/:ws")
      .setPath(WsPath)
      .addSuccess(WorkspaceInfoResponse)
      .addError(Forbidden)
      .addError(NotFound)
      .middleware(Authentication),
  )
  .annotate(OpenApi.Title, "Workspaces") {}

export class TokensGroup extends HttpApiGroup.make("tokens")
  .add(
    HttpApiEndpoint.post("mint", "/workspaces/:ws/tokens")
      .setPath(WsPath)
      .setPayload(MintToken)
      .addSuccess(MintedToken, { status: 201 }),
  )
  .add(HttpApiEndpoint.get("list", "/workspaces/:ws/tokens").setPath(WsPath).addSuccess(TokenListing))
  .add(
    HttpApiEndpoint.del("revoke", "/workspaces/:ws/tokens/:tokenId")
      .setPath(Schema.Struct({ ws: WorkspaceId, tokenId: TokenId }))
      .addSuccess(HttpApiSchema.NoContent)
      .addError(NotFound),
  )
  .addError(Forbidden)
  .addError(BadRequest)
  .middleware(Authentication)
  .annotate(OpenApi.Title, "Access tokens (master only)") {}

export class DocsGroup extends HttpApiGroup.make("docs")
  .add(
    HttpApiEndpoint.post("push", "/workspaces/:ws/docs/:doc/updates")
      .setPath(DocPath)
      .setHeaders(Schema.Struct({ "idempotency-key": Schema.optional(Schema.String) }))
      .setPayload(HttpApiSchema.Uint8Array({ contentType: "application/octet-stream" }))
      .addSuccess(PushResponse)
      .addError(PayloadTooLarge)
      .addError(InvalidUpdate)
      .addError(Unavailable)
      .annotate(
        OpenApi.Description,
        "Push one Loro update blob; answered after commit. Same Idempotency-Key again: the first result, nothing stored.",
      ),
  )
  .add(
    HttpApiEndpoint.get("pull", "/workspaces/:ws/docs/:doc/updates")
      .setPath(DocPath)
      .setUrlParams(PullParams)
      .addSuccess(HttpApiSchema.Uint8Array({ contentType: "application/octet-stream" }))
      .annotate(
        OpenApi.Description,
        "Records of [8-byte BE seq][4-byte BE length][blob] after `after`; X-VibeStack-Cursor = last seq in the page, X-VibeStack-More: 1 if more follow.",
      ),
  )
  .add(
    HttpApiEndpoint.get("snapshot", "/workspaces/:ws/docs/:doc/snapshot")
      .setPath(DocPath)
      .addSuccess(HttpApiSchema.Uint8Array({ contentType: "application/octet-stream" }))
      .annotate(OpenApi.Description, "A Loro snapshot; X-VibeStack-Cursor = the seq it covers."),
  )
  .addError(Forbidden)
  .addError(BadRequest)
  .addError(NotFound)
  .addError(Internal)
  .addError(Unavailable)
  .addError(Overloaded)
  .middleware(Authentication)
  .annotate(OpenApi.Title, "Documents (opaque Loro bytes)") {}

export class SystemGroup extends HttpApiGroup.make("system", { topLevel: true })
  .add(
    HttpApiEndpoint.get("health", "/healthz")
      .addSuccess(Health)
      .annotate(OpenApi.Description, "Liveness: 200 while the process answers; `checks` says what /readyz would."),
  )
  .add(
    HttpApiEndpoint.get("ready", "/readyz")
      .addSuccess(Readiness)
      .addError(Unavailable)
      .annotate(
        OpenApi.Description,
        "Readiness: 200 ok or degraded (serving; a check is past its threshold), 503 unavailable (no database, LISTEN down), with every check and its reason.",
      ),
  )
  .add(HttpApiEndpoint.get("metrics", "/metrics").addSuccess(HttpApiSchema.Text()))
  .add(HttpApiEndpoint.get("openapi", "/api/v1/openapi.json").addSuccess(Schema.Unknown)) {}

export class VibeStackApi extends HttpApi.make("vibestack")
  .add(WorkspacesGroup.prefix("/api/v1"))
  .add(TokensGroup.prefix("/api/v1"))
  .add(DocsGroup.prefix("/api/v1"))
  .add(SystemGroup)
  .add(BackupsGroup.middleware(Authentication).prefix("/api/v1"))
  .add(BackupImportGroup.prefix("/api/v1"))
  .add(ShapeGroup.middleware(Authentication).prefix("/api/v1"))
  .annotate(OpenApi.Title, "VibeStack sync API") {}
