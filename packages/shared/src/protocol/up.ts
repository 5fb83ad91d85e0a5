import { DocId } from "@vibestack/schema"
import { Schema } from "effect"
import { PresenceBytes } from "./presence.js"

/** Client → server messages on the live socket. JSON text frames unless noted. */

/** Must be the first frame, within the auth timeout. The token never goes in the URL. */
export class Auth extends Schema.TaggedClass<Auth>()("Auth", {
  token: Schema.String.pipe(Schema.maxLength(4096)),
  protocolVersion: Schema.optional(Schema.Int),
}) {}

/** Ask for live updates of one document. The client fills gaps itself by HTTP pull. */
export class Subscribe extends Schema.TaggedClass<Subscribe>()("Subscribe", {
  docId: DocId,
}) {}

export class Unsubscribe extends Schema.TaggedClass<Unsubscribe>()("Unsubscribe", {
  docId: DocId,
}) {}

/** Application-level heartbeat: browsers cannot send WebSocket pings. */
export class Ping extends Schema.TaggedClass<Ping>()("Ping", {
  id: Schema.optional(Schema.Int),
}) {}

/**
 * This socket's presence state (S26): an encoded Loro `EphemeralStore` update, base64. The
 * first one joins the workspace's presence: the server answers with everyone else's state.
 */
export class Presence extends Schema.TaggedClass<Presence>()("Presence", {
  state: PresenceBytes,
}) {}

export const UpText = Schema.Union(Auth, Subscribe, Unsubscribe, Ping, Presence)
export type UpText = typeof UpText.Type

/**
 * Header of a binary push frame (see `frame.ts`); the Loro update follows it.
 * Acknowledged with `PushAck` after commit, or refused with `PushRejected`.
 */
export class Push extends Schema.TaggedClass<Push>()("Push", {
  docId: DocId,
  requestId: Schema.Int,
  idempotencyKey: Schema.String.pipe(Schema.minLength(1), Schema.maxLength(128)),
}) {}

export const UpBinaryHeader = Push
