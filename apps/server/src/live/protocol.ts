import type { DocId, Role, TokenId, WorkspaceId } from "@vibestack/schema"
import {
  AuthOk,
  CloseCode,
  type DocCursor,
  type DownText,
  decodeFrame,
  decodeSafely,
  Fault,
  MIN_CLIENT_PROTOCOL_VERSION,
  Pong,
  PROTOCOL_VERSION,
  PushAck,
  PushRejected,
  Subscribed,
  UpBinaryHeader,
  UpText,
  type WireError,
} from "@vibestack/shared"
import { Either, Schema } from "effect"
import type { PushAnswer } from "../store/PushService.js"
import type { LiveLimits } from "./Connection.js"

/**
 * One live socket's protocol (packages/shared/SPEC.md, server rules S8, S9, S26), without the
 * socket: `step(state, input)` answers the next state and what to do. Pure and synchronous;
 * the `ws` adapter (`LiveServer.ts`) performs the effects and feeds their results back as
 * inputs (`Verified`, `Opened`, `Joined`, `PushAnswered`).
 */

/** Whom an authenticated socket speaks for (a verified token). */
export interface Principal {
  readonly workspaceId: WorkspaceId
  readonly role: Role
  readonly tokenId: TokenId
  readonly validUntil: Date
}

export type State =
  /** Nothing received yet: the first frame must be `Auth`. */
  | { readonly phase: "waiting" }
  /** `Auth` received; its token is being checked. */
  | { readonly phase: "authing" }
  /** The token is good; the workspace's documents are being read for `AuthOk`. */
  | { readonly phase: "opening"; readonly principal: Principal }
  | {
      readonly phase: "open"
      readonly principal: Principal
      readonly docs: ReadonlySet<DocId>
      /** Pushes sent over this socket and not answered yet. */
      readonly inFlight: number
    }
  /** Closing (by either side): nothing more is processed; `docs` are left when the socket is gone. */
  | { readonly phase: "closed"; readonly docs: ReadonlySet<DocId> }

export const initial: State = { phase: "waiting" }

export type Input =
  /** A text frame. */
  | { readonly _tag: "Text"; readonly text: string }
  /** A binary frame (a push). */
  | { readonly _tag: "Binary"; readonly bytes: Uint8Array }
  /** The answer to `Verify`. */
  | { readonly _tag: "Verified"; readonly result: Either.Either<Principal, WireError> }
  /** `Open` done: the workspace's documents and their cursors. */
  | { readonly _tag: "Opened"; readonly docs: ReadonlyArray<DocCursor> }
  /** `Join` done: the subscription's cursor (S9). */
  | { readonly _tag: "Joined"; readonly docId: DocId; readonly cursor: number }
  | { readonly _tag: "PushAnswered"; readonly requestId: number; readonly answer: PushAnswer }
  | { readonly _tag: "AuthTimeout" }
  /** The token was revoked (on any node) or expired. */
  | { readonly _tag: "Revoked" }
  | { readonly _tag: "Expired" }
  /** The socket is closed: answers still on their way are dropped. */
  | { readonly _tag: "Gone" }

export type Output =
  | { readonly _tag: "Send"; readonly message: DownText }
  | { readonly _tag: "Close"; readonly code: number; readonly reason: string }
  /** Check this token; answer `Verified`. */
  | { readonly _tag: "Verify"; readonly token: string }
  /** Authenticated: register the socket, read the workspace's document cursors; answer `Opened`. */
  | { readonly _tag: "Open"; readonly principal: Principal }
  /** Register with the fan-out, then read the document's head; answer `Joined` (S9). */
  | { readonly _tag: "Join"; readonly docId: DocId }
  | { readonly _tag: "Leave"; readonly docId: DocId }
  /** Relay this presence state (S26). */
  | { readonly _tag: "Presence"; readonly state: string }
  /** Tell the others this socket's presence is gone, now (S26). */
  | { readonly _tag: "DropPresence" }
  /** Hand this push to the push path; answer `PushAnswered`. */
  | {
      readonly _tag: "Push"
      readonly requestId: number
      readonly docId: DocId
      readonly idempotencyKey: string
      readonly blob: Uint8Array
    }

export interface Step {
  readonly state: State
  readonly out: ReadonlyArray<Output>
}

const decodeUpText = decodeSafely(Schema.parseJson(UpText))
const decodePushHeader = decodeSafely(UpBinaryHeader)

const noDocs: ReadonlySet<DocId> = new Set()
const none: ReadonlyArray<Output> = []
const same = (state: State): Step => ({ state, out: none })
const send = (message: DownText): Output => ({ _tag: "Send", message })

/** The documents a socket follows: the fan-out forgets them when the socket is gone. */
export const following = (state: State): ReadonlySet<DocId> =>
  state.phase === "open" || state.phase === "closed" ? state.docs : noDocs

const closing = (state: State, code: number, reason: string, ...before: Array<Output>): Step => ({
  state: { phase: "closed", docs: following(state) },
  out: [...before, { _tag: "Close", code, reason }],
})

/** The protocol for one socket to `workspaceId`, under `limits`. */
export const step = (
  workspaceId: WorkspaceId,
  limits: Pick<LiveLimits, "maxSubscriptions" | "maxInFlightPushes">,
  state: State,
  input: Input,
): Step => {
  if (state.phase === "closed") return same(state)
  switch (input._tag) {
    case "Text":
    case "Binary":
      if (state.phase === "waiting") return authFrame(state, input)
      // Nothing is processed before Auth is answered; a second frame meanwhile is a violation (S8).
      if (state.phase !== "open") return closing(state, CloseCode.Unauthorized, "frames before Auth")
      return input._tag === "Text" ? text(limits, state, input.text) : push(limits, state, input.bytes)
    case "Verified": {
      if (state.phase !== "authing") return same(state)
      const r = input.result
      if (Either.isLeft(r))
        return closing(state, CloseCode.Unauthorized, r.left.message.slice(0, 100), send(new Fault(r.left)))
      if (r.right.workspaceId !== workspaceId)
        return closing(
          state,
          CloseCode.Forbidden,
          "wrong workspace",
          send(new Fault({ kind: "Forbidden", message: "this token is not valid for this workspace" })),
        )
      return { state: { phase: "opening", principal: r.right }, out: [{ _tag: "Open", principal: r.right }] }
    }
    case "Opened": {
      if (state.phase !== "opening") return same(state)
      const { principal } = state
      return {
        state: { phase: "open", principal, docs: new Set(), inFlight: 0 },
        out: [
          send(
            new AuthOk({
              workspaceId: principal.workspaceId,
              role: principal.role,
              protocolVersion: PROTOCOL_VERSION,
              docs: input.docs,
            }),
          ),
        ],
      }
    }
    case "Joined":
      return { state, out: [send(new Subscribed({ docId: input.docId, cursor: input.cursor }))] }
    case "PushAnswered": {
      if (state.phase !== "open") return same(state)
      const a = input.answer
      return {
        state: { ...state, inFlight: state.inFlight - 1 },
        out: [
          send(
            a.ok
              ? // Built from the push path's own answer (typed, already checked): validating the
                // fields again per acknowledgement cost more than the rest of answering it.
                new PushAck({ requestId: input.requestId, seq: a.outcome.seq, duplicate: a.outcome.duplicate }, true)
              : new PushRejected({ requestId: input.requestId, error: a.error.error }),
          ),
        ],
      }
    }
    case "Gone":
      return same({ phase: "closed", docs: following(state) })
    case "AuthTimeout":
      return state.phase === "open" ? same(state) : closing(state, CloseCode.AuthTimeout, "no Auth in time")
    case "Revoked":
    case "Expired": {
      if (state.phase !== "open") return same(state)
      const why = input._tag === "Revoked" ? "token revoked" : "token expired"
      // Others stop seeing a revoked or expired person now, not after the close handshake (S26).
      return closing(
        state,
        CloseCode.TokenRevoked,
        why,
        { _tag: "DropPresence" },
        send(new Fault({ kind: "Unauthorized", message: why })),
      )
    }
  }
}

const authFrame = (state: State, input: Input & { _tag: "Text" | "Binary" }): Step => {
  if (input._tag === "Binary") return closing(state, CloseCode.Unauthorized, "frames before Auth")
  const msg = decodeUpText(input.text)
  if (Either.isLeft(msg) || msg.right._tag !== "Auth")
    return closing(state, CloseCode.Unauthorized, "first frame must be Auth")
  if ((msg.right.protocolVersion ?? PROTOCOL_VERSION) < MIN_CLIENT_PROTOCOL_VERSION)
    return closing(
      state,
      CloseCode.ClientTooOld,
      "client too old",
      send(new Fault({ kind: "ClientTooOld", message: `protocol ${MIN_CLIENT_PROTOCOL_VERSION}+ required` })),
    )
  return { state: { phase: "authing" }, out: [{ _tag: "Verify", token: msg.right.token }] }
}

type Open = State & { phase: "open" }

const text = (limits: Pick<LiveLimits, "maxSubscriptions">, state: Open, raw: string): Step => {
  const msg = decodeUpText(raw)
  if (Either.isLeft(msg)) return closing(state, CloseCode.InvalidPayload, "malformed message")
  const m = msg.right
  switch (m._tag) {
    case "Auth":
      return closing(state, CloseCode.PolicyViolation, "already authenticated")
    case "Ping":
      return { state, out: [send(new Pong(m.id === undefined ? {} : { id: m.id }))] }
    case "Presence":
      return { state, out: [{ _tag: "Presence", state: m.state }] }
    case "Unsubscribe": {
      if (!state.docs.has(m.docId)) return same(state)
      const docs = new Set(state.docs)
      docs.delete(m.docId)
      return { state: { ...state, docs }, out: [{ _tag: "Leave", docId: m.docId }] }
    }
    case "Subscribe": {
      if (state.docs.has(m.docId)) return same(state)
      if (state.docs.size >= limits.maxSubscriptions)
        return closing(state, CloseCode.PolicyViolation, "too many subscriptions")
      return { state: { ...state, docs: new Set(state.docs).add(m.docId) }, out: [{ _tag: "Join", docId: m.docId }] }
    }
  }
}

const push = (limits: Pick<LiveLimits, "maxInFlightPushes">, state: Open, bytes: Uint8Array): Step => {
  const frame = decodeFrame(bytes)
  if (typeof frame === "string") return closing(state, CloseCode.InvalidPayload, frame)
  const header = decodePushHeader(frame.header)
  if (Either.isLeft(header)) return closing(state, CloseCode.InvalidPayload, "malformed push header")
  const { requestId, docId, idempotencyKey } = header.right
  const reject = (kind: "Forbidden" | "Overloaded", message: string): Step => ({
    state,
    out: [send(new PushRejected({ requestId, error: { kind, message } }))],
  })
  if (state.principal.role === "viewer") return reject("Forbidden", "viewers cannot push")
  if (state.inFlight >= limits.maxInFlightPushes) return reject("Overloaded", "too many pushes in flight")
  return {
    state: { ...state, inFlight: state.inFlight + 1 },
    out: [{ _tag: "Push", requestId, docId, idempotencyKey, blob: frame.blob }],
  }
}
