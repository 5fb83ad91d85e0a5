import type { DocId, WorkspaceId } from "@vibestack/schema"
import { type Transport, TransportError } from "@vibestack/shared"
import { describe, expect, it } from "vitest"
import { prefetchingSnapshots } from "./transport.js"

const WS = "ws1" as WorkspaceId
const DOC = "main" as DocId
const unused = () => Promise.reject(new Error("not used here"))

/** A transport whose snapshot answers come from `answers`, in order, counting the requests. */
const fake = (answers: Array<() => Promise<{ bytes: Uint8Array; cursor: number }>>) => {
  const calls: Array<string> = []
  const t: Transport = {
    register: unused,
    info: unused,
    push: unused,
    pull: unused,
    connectLive: unused,
    snapshot: (token, ws, doc) => {
      calls.push(`${token}/${ws}/${doc}`)
      return answers.shift()!()
    },
  }
  return { t, calls }
}

describe("prefetchingSnapshots", () => {
  it("the engine's request takes the prefetched answer once; a later one asks the server again", async () => {
    const { t, calls } = fake([
      async () => ({ bytes: new Uint8Array([1]), cursor: 3 }),
      async () => ({ bytes: new Uint8Array([2]), cursor: 5 }),
    ])
    const { transport, prefetch } = prefetchingSnapshots(t)
    prefetch("tok", WS, DOC)
    prefetch("tok", WS, DOC) // already under way: not asked twice
    expect(calls).toEqual(["tok/ws1/main"])
    expect((await transport.snapshot("tok", WS, DOC)).cursor).toBe(3)
    expect((await transport.snapshot("tok", WS, DOC)).cursor).toBe(5)
    expect(calls).toHaveLength(2)
  })

  it("another token or document is not served the prefetched answer", async () => {
    const { t, calls } = fake([
      async () => ({ bytes: new Uint8Array(), cursor: 1 }),
      async () => ({ bytes: new Uint8Array(), cursor: 2 }),
    ])
    const { transport, prefetch } = prefetchingSnapshots(t)
    prefetch("viewer", WS, DOC)
    expect((await transport.snapshot("editor", WS, DOC)).cursor).toBe(2)
    expect(calls).toEqual(["viewer/ws1/main", "editor/ws1/main"])
  })

  it("a failed prefetch reaches the engine's request unchanged, and is no unhandled rejection before", async () => {
    const { t } = fake([() => Promise.reject(new TransportError("NotFound", "no snapshot yet"))])
    const { transport, prefetch } = prefetchingSnapshots(t)
    const unhandled: Array<unknown> = []
    const onUnhandled = (e: unknown) => unhandled.push(e)
    process.on("unhandledRejection", onUnhandled)
    try {
      prefetch("tok", WS, DOC)
      await new Promise((r) => setTimeout(r, 20))
      expect(unhandled).toEqual([])
      await expect(transport.snapshot("tok", WS, DOC)).rejects.toMatchObject({ kind: "NotFound" })
    } finally {
      process.off("unhandledRejection", onUnhandled)
    }
  })
})
