import { afterEach, describe, expect, it } from "vitest"
import {
  CHANNEL_NAME,
  type ChannelMessage,
  documentChannels,
  LARGE_MESSAGE_BYTES,
  parseChannelMessage,
  parsePageMessage,
} from "./messages.js"

const updates = (bytes: number): ChannelMessage => ({
  _tag: "RemoteUpdates",
  ws: "ws1",
  doc: "main",
  updates: [new Uint8Array(bytes)],
})
const tick = () => new Promise((r) => setTimeout(r, 50))

describe("documentChannels", () => {
  const open: Array<{ close(): void }> = []
  afterEach(() => {
    for (const c of open.splice(0)) c.close()
  })

  it("large document bytes never reach a page's channel; workers hear every message", async () => {
    const page: Array<ChannelMessage> = []
    const pageChannel = new BroadcastChannel(CHANNEL_NAME)
    pageChannel.onmessage = (e: MessageEvent) => page.push(e.data as ChannelMessage)
    const worker: Array<number> = []
    const leader = documentChannels(() => undefined)
    const docWorker = documentChannels((m) => {
      if (m._tag === "RemoteUpdates") worker.push(m.updates[0]!.byteLength)
    })
    open.push(pageChannel, leader, docWorker)

    leader.post(updates(100))
    leader.post(updates(LARGE_MESSAGE_BYTES + 1))
    leader.post({ _tag: "StatusRequest" })
    await tick()
    expect(page.map((m) => m._tag)).toEqual(["RemoteUpdates", "StatusRequest"])
    expect(worker.sort((a, b) => a - b)).toEqual([100, LARGE_MESSAGE_BYTES + 1])
  })

  it("a page decodes the shared channel's control messages and drops document bytes unread", () => {
    const commit: ChannelMessage = {
      _tag: "LocalCommit",
      ws: "ws1",
      doc: "main",
      id: 1,
      idempotencyKey: "k1",
      bytes: new Uint8Array([1, 2, 3]),
    }
    const status = { _tag: "RetryFailed", ws: "ws1", doc: "main", id: 1, message: "no" }
    // Well formed (the workers decode them), yet not for a page.
    expect(parseChannelMessage(commit)).toEqual(commit)
    expect(parseChannelMessage(updates(10))).toBeDefined()
    expect(parsePageMessage(commit)).toBeUndefined()
    expect(parsePageMessage(updates(10))).toBeUndefined()
    expect(parsePageMessage(status)).toEqual(status)
    expect(parsePageMessage({ _tag: "StatusRequest" })).toEqual({ _tag: "StatusRequest" })
    expect(parsePageMessage(null)).toBeUndefined()
    expect(parsePageMessage({ _tag: "RetryFailed" })).toBeUndefined()
  })
})
