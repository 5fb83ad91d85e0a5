import { AccessRole, DocId, Role, TokenId, WorkspaceId } from "@vibestack/schema"
import { Schema } from "effect"

/**
 * The bodies and answers of the HTTP contract (`Api.ts` declares the routes with them). Apart
 * from the routes so a client that only decodes answers (the sync worker's `HttpTransport`, the
 * web app's pages) does not load the route declarations and Effect's HTTP API with them.
 */

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
