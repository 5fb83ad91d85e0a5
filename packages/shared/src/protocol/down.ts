import { DocId, Role, WorkspaceId } from "@vibestack/schema"
import { Schema } from "effect"
import { ErrorKind, WireError } from "./errors.js"
import { PresenceBytes } from "./presence.js"

/** Server → client messages on the live socket. JSON text frames unless noted. */

export const DocCursor = Schema.Struct({ docId: DocId, cursor: Schema.Int })
export type DocCursor = typeof DocCursor.Type

export class AuthOk extends Schema.TaggedClass<AuthOk>()("AuthOk", {
  workspaceId: WorkspaceId,
  role: Role,
  protocolVersion: Schema.Int,
  docs: Schema.Array(DocCursor),
}) {}

export class Subscribed extends Schema.TaggedClass<Subscribed>()("Subscribed", {
  docId: DocId,
  /** The newest committed seq when the subscription started; pull up to it to catch up. */
  cursor: Schema.Int,
}) {}

export class PushAck extends Schema.TaggedClass<PushAck>()("PushAck", {
  requestId: Schema.Int,
  seq: Schema.Int,
  duplicate: Schema.Boolean,
}) {}

export class PushRejected extends Schema.TaggedClass<PushRejected>()("PushRejected", {
  requestId: Schema.Int,
  error: WireError,
}) {}

export class Pong extends Schema.TaggedClass<Pong>()("Pong", {
  id: Schema.optional(Schema.Int),
}) {}

/** Sent just before the server closes the socket, so the client can react by kind. */
export class Fault extends Schema.TaggedClass<Fault>()("Fault", {
  kind: ErrorKind,
  message: Schema.String,
}) {}

/**
 * Another presence socket of this workspace changed its state (S26). `from` is the server's
 * id for that socket (never a token id); `role` is its token's role (viewers are watchers).
 */
export class PresenceUpdate extends Schema.TaggedClass<PresenceUpdate>()("PresenceUpdate", {
  from: Schema.String.pipe(Schema.maxLength(64)),
  role: Role,
  state: PresenceBytes,
}) {}

/** That socket left (closed, revoked, expired): forget its state now. */
export class PresenceGone extends Schema.TaggedClass<PresenceGone>()("PresenceGone", {
  from: Schema.String.pipe(Schema.maxLength(64)),
}) {}

export const DownText = Schema.Union(
  AuthOk,
  Subscribed,
  PushAck,
  PushRejected,
  Pong,
  Fault,
  PresenceUpdate,
  PresenceGone,
)
export type DownText = typeof DownText.Type

/** Header of a binary update frame (see `frame.ts`); the committed Loro update follows it. */
export class Update extends Schema.TaggedClass<Update>()("Update", {
  docId: DocId,
  seq: Schema.Int,
}) {}

export const DownBinaryHeader = Update
