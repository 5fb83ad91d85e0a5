import * as HttpApi from "@effect/platform/HttpApi"
import * as HttpApiEndpoint from "@effect/platform/HttpApiEndpoint"
import * as HttpApiGroup from "@effect/platform/HttpApiGroup"
import * as HttpApiMiddleware from "@effect/platform/HttpApiMiddleware"
import * as HttpApiSchema from "@effect/platform/HttpApiSchema"
import * as HttpApiSecurity from "@effect/platform/HttpApiSecurity"
import * as OpenApi from "@effect/platform/OpenApi"
import { DocId, type Role, TokenId, WorkspaceId } from "@vibestack/schema"
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
import {
  Health,
  MintedToken,
  MintToken,
  PullParams,
  PushResponse,
  Readiness,
  Registered,
  RegisterWorkspace,
  TokenListing,
  WorkspaceInfoResponse,
} from "./payloads.js"
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
