import type { DocId, TokenId, WorkspaceId } from "@vibestack/schema"
import { CloseCode, encodeFrame, MIN_CLIENT_PROTOCOL_VERSION, PROTOCOL_VERSION } from "@vibestack/shared"
import { Either } from "effect"
import { describe, expect, it } from "vitest"
import { following, type Input, initial, type Output, type Principal, type State, step } from "./protocol.js"

const ws = "ws-1" as WorkspaceId
const limits = { maxSubscriptions: 2, maxInFlightPushes: 2 }
const editor: Principal = {
  workspaceId: ws,
  role: "editor",
  tokenId: "tok" as TokenId,
  validUntil: new Date(8.64e15),
}

/** Feeds inputs one after the other; every step's outputs, flattened, and the last state. */
const run = (inputs: ReadonlyArray<Input>, from: State = initial) => {
  let state = from
  const out: Array<Output> = []
  for (const input of inputs) {
    const s = step(ws, limits, state, input)
    state = s.state
    out.push(...s.out)
  }
  return { state, out }
}
const text = (msg: unknown): Input => ({ _tag: "Text", text: JSON.stringify(msg) })
const auth = (protocolVersion = PROTOCOL_VERSION) => text({ _tag: "Auth", token: "t", protocolVersion })
const pushFrame = (requestId: number, docId = "main"): Input => ({
  _tag: "Binary",
  bytes: encodeFrame({ _tag: "Push", requestId, docId, idempotencyKey: `k${requestId}` }, new Uint8Array([1, 2, 3])),
})
const openAs = (principal: Principal = editor) =>
  run([auth(), { _tag: "Verified", result: Either.right(principal) }, { _tag: "Opened", docs: [] }]).state
const tags = (out: ReadonlyArray<Output>) =>
  out.map((o) => (o._tag === "Send" ? `Send ${o.message._tag}` : o._tag === "Close" ? `Close ${o.code}` : o._tag))

describe("live protocol (pure: one socket, no sockets)", () => {
  it("[S8] Auth first: the token is checked, then the documents read, then AuthOk", () => {
    const a = run([auth()])
    expect(a.out).toEqual([{ _tag: "Verify", token: "t" }])
    const b = run([{ _tag: "Verified", result: Either.right(editor) }], a.state)
    expect(b.out).toEqual([{ _tag: "Open", principal: editor }])
    const c = run([{ _tag: "Opened", docs: [{ docId: "main" as DocId, cursor: 3 }] }], b.state)
    expect(c.state.phase).toBe("open")
    expect(c.out).toMatchObject([
      {
        _tag: "Send",
        message: { _tag: "AuthOk", workspaceId: ws, role: "editor", docs: [{ docId: "main", cursor: 3 }] },
      },
    ])
  })

  it("[S8] anything but Auth first, or a frame before AuthOk, closes 4001; no Auth in time closes 4008", () => {
    expect(tags(run([text({ _tag: "Ping" })]).out)).toEqual([`Close ${CloseCode.Unauthorized}`])
    expect(tags(run([pushFrame(1)]).out)).toEqual([`Close ${CloseCode.Unauthorized}`])
    expect(tags(run([{ _tag: "Text", text: "{not json" }]).out)).toEqual([`Close ${CloseCode.Unauthorized}`])
    expect(tags(run([auth(), text({ _tag: "Ping" })]).out)).toEqual(["Verify", `Close ${CloseCode.Unauthorized}`])
    const opening = run([auth(), { _tag: "Verified", result: Either.right(editor) }]).state
    expect(tags(run([pushFrame(1)], opening).out)).toEqual([`Close ${CloseCode.Unauthorized}`])
    expect(tags(run([{ _tag: "AuthTimeout" }]).out)).toEqual([`Close ${CloseCode.AuthTimeout}`])
    expect(run([{ _tag: "AuthTimeout" }], openAs()).out).toEqual([])
  })

  it("[S8] a bad token closes 4001, another workspace's 4003, a too-old client 4010, each after a Fault", () => {
    const bad = run([auth(), { _tag: "Verified", result: Either.left({ kind: "Unauthorized", message: "nope" }) }])
    expect(tags(bad.out)).toEqual(["Verify", "Send Fault", `Close ${CloseCode.Unauthorized}`])
    const other = run([
      auth(),
      { _tag: "Verified", result: Either.right({ ...editor, workspaceId: "ws-2" as WorkspaceId }) },
    ])
    expect(tags(other.out)).toEqual(["Verify", "Send Fault", `Close ${CloseCode.Forbidden}`])
    const old = run([auth(MIN_CLIENT_PROTOCOL_VERSION - 1)])
    expect(tags(old.out)).toEqual(["Send Fault", `Close ${CloseCode.ClientTooOld}`])
    // Closed is final: a late answer changes nothing.
    expect(run([{ _tag: "Opened", docs: [] }, text({ _tag: "Ping", id: 1 })], bad.state).out).toEqual([])
  })

  it("[S8] malformed messages close 1007, a second Auth and too many subscriptions close 1008", () => {
    expect(tags(run([{ _tag: "Text", text: "{" }], openAs()).out)).toEqual([`Close ${CloseCode.InvalidPayload}`])
    expect(tags(run([{ _tag: "Binary", bytes: new Uint8Array([9]) }], openAs()).out)).toEqual([
      `Close ${CloseCode.InvalidPayload}`,
    ])
    const badHeader = encodeFrame({ _tag: "Push", requestId: "x" }, new Uint8Array([1]))
    expect(tags(run([{ _tag: "Binary", bytes: badHeader }], openAs()).out)).toEqual([
      `Close ${CloseCode.InvalidPayload}`,
    ])
    expect(tags(run([auth()], openAs()).out)).toEqual([`Close ${CloseCode.PolicyViolation}`])
    const subs = run(
      ["a", "b", "c"].map((docId) => text({ _tag: "Subscribe", docId })),
      openAs(),
    )
    expect(tags(subs.out)).toEqual(["Join", "Join", `Close ${CloseCode.PolicyViolation}`])
    // What it followed is still known, so the fan-out forgets it when the socket is gone.
    expect([...following(subs.state)]).toEqual(["a", "b"])
  })

  it("[S9] Subscribe registers first (Join), and Subscribed carries the cursor taken after it; twice is once", () => {
    const r = run([text({ _tag: "Subscribe", docId: "main" }), text({ _tag: "Subscribe", docId: "main" })], openAs())
    expect(r.out).toEqual([{ _tag: "Join", docId: "main" }])
    const joined = run([{ _tag: "Joined", docId: "main" as DocId, cursor: 7 }], r.state)
    expect(joined.out).toMatchObject([{ _tag: "Send", message: { _tag: "Subscribed", docId: "main", cursor: 7 } }])
    const left = run(
      [text({ _tag: "Unsubscribe", docId: "main" }), text({ _tag: "Unsubscribe", docId: "main" })],
      r.state,
    )
    expect(left.out).toEqual([{ _tag: "Leave", docId: "main" }])
    expect([...following(left.state)]).toEqual([])
  })

  it("[S6][S1] editors' pushes go to the push path and are answered from its answer; viewers' are refused", () => {
    const sent = run([pushFrame(1)], openAs())
    expect(sent.out).toMatchObject([{ _tag: "Push", requestId: 1, docId: "main", idempotencyKey: "k1" }])
    const acked = run(
      [{ _tag: "PushAnswered", requestId: 1, answer: { ok: true, outcome: { seq: 4, duplicate: false } } }],
      sent.state,
    )
    expect(acked.out).toMatchObject([{ _tag: "Send", message: { _tag: "PushAck", requestId: 1, seq: 4 } }])
    const viewer = run([pushFrame(2)], openAs({ ...editor, role: "viewer" }))
    expect(viewer.out).toMatchObject([
      { _tag: "Send", message: { _tag: "PushRejected", requestId: 2, error: { kind: "Forbidden" } } },
    ])
  })

  it("[S18] pushes in flight are bounded per socket: past the limit PushRejected Overloaded, and answers free the slots", () => {
    const full = run([pushFrame(1), pushFrame(2), pushFrame(3)], openAs())
    expect(tags(full.out)).toEqual(["Push", "Push", "Send PushRejected"])
    expect(full.out[2]).toMatchObject({ message: { requestId: 3, error: { kind: "Overloaded" } } })
    const refused = { ok: false, error: { error: { kind: "InvalidUpdate", message: "no" } } } as never
    const freed = run([{ _tag: "PushAnswered", requestId: 1, answer: refused }, pushFrame(4)], full.state)
    expect(tags(freed.out)).toEqual(["Send PushRejected", "Push"])
    expect(freed.out[0]).toMatchObject({ message: { requestId: 1, error: { kind: "InvalidUpdate" } } })
  })

  it("[S26][S8] revoked or expired: presence dropped first, then a Fault, then 4011; nothing after", () => {
    const presence = run([text({ _tag: "Presence", state: "AAAA" })], openAs())
    expect(presence.out).toEqual([{ _tag: "Presence", state: "AAAA" }])
    for (const why of ["Revoked", "Expired"] as const) {
      const r = run([{ _tag: why }], presence.state)
      expect(tags(r.out)).toEqual(["DropPresence", "Send Fault", `Close ${CloseCode.TokenRevoked}`])
      expect(run([text({ _tag: "Presence", state: "AAAA" }), pushFrame(9)], r.state).out).toEqual([])
    }
  })

  it("[S8] Ping is answered with its id; a socket gone drops late answers", () => {
    expect(run([text({ _tag: "Ping", id: 5 })], openAs()).out).toMatchObject([
      { _tag: "Send", message: { _tag: "Pong", id: 5 } },
    ])
    const gone = run([text({ _tag: "Subscribe", docId: "main" }), { _tag: "Gone" }], openAs())
    expect([...following(gone.state)]).toEqual(["main"])
    expect(run([{ _tag: "Joined", docId: "main" as DocId, cursor: 1 }], gone.state).out).toEqual([])
    const authing = run([auth(), { _tag: "Gone" }])
    expect(run([{ _tag: "Verified", result: Either.right(editor) }], authing.state).out).toEqual([])
  })
})
