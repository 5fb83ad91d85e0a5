import type { DocId, WorkspaceId } from "@vibestack/schema"
import { decodeFrame } from "@vibestack/shared"
import { describe, expect, it } from "vitest"
import type { Connection } from "./Connection.js"
import { FanOut } from "./FanOut.js"

const ws = "ws_fanout" as WorkspaceId
const doc = "main" as DocId
const conn = (name: string) => ({ workspaceId: ws, docs: new Set(), name }) as unknown as Connection
const record = (seq: number) => ({ seq, bytes: new Uint8Array([seq]) })

/** A FanOut over an in-memory log; `got(conn)` lists the seqs each socket was sent, in order. */
const harness = () => {
  const log: Array<{ seq: number; bytes: Uint8Array }> = []
  const sent = new Map<Connection, Array<number>>()
  const reads = { count: 0 }
  const fanOut = new FanOut(
    async (_ws, _doc, after) => {
      reads.count++
      return { records: log.filter((r) => r.seq > after), more: false }
    },
    (c, frame) => {
      const f = decodeFrame(frame)
      if (typeof f === "string") throw new Error(f)
      sent.set(c, [...(sent.get(c) ?? []), (f.header as { seq: number }).seq])
    },
    () => undefined,
    "this-node",
  )
  /** This node commits the next update: durable in the log, then sent from memory. */
  const commit = () => {
    const r = record(log.length + 1)
    log.push(r)
    fanOut.committed(ws, doc, [r])
  }
  const settle = () => new Promise((r) => setTimeout(r, 10))
  /** A socket following the document from its start (head 0). */
  const follower = (name: string) => {
    const c = conn(name)
    fanOut.subscribe(c, doc)
    fanOut.joined(c, doc, 0)
    return c
  }
  return { log, reads, fanOut, commit, settle, follower, got: (c: Connection) => sent.get(c) ?? [] }
}

describe("FanOut", () => {
  it("[S9] a socket joining while others are sent commits from memory gets a cursor past them", async () => {
    const h = harness()
    const a = conn("a")
    h.fanOut.subscribe(a, doc)
    expect(h.fanOut.joined(a, doc, 0)).toBe(0)
    const b = conn("b")
    // B registers; its head was read as 2, but commits 3 and 4 went out to A meanwhile.
    h.commit()
    h.commit()
    h.fanOut.subscribe(b, doc)
    h.commit()
    h.commit()
    const cursor = h.fanOut.joined(b, doc, 2)
    expect(cursor).toBe(4)
    h.commit()
    await h.settle()
    // Every update after the answered cursor reached B live, in order; A got all of them.
    expect(h.got(b).filter((s) => s > cursor)).toEqual([5])
    expect(h.got(a)).toEqual([1, 2, 3, 4, 5])
  })

  it("[S9] the first subscriber's commits made before its head was known are sent once it is", async () => {
    const h = harness()
    const a = conn("a")
    h.fanOut.subscribe(a, doc)
    // Committed after registration but before the head read saw it: nothing to follow yet.
    h.commit()
    expect(h.got(a)).toEqual([])
    expect(h.fanOut.joined(a, doc, 0)).toBe(0)
    await h.settle()
    expect(h.got(a)).toEqual([1])
    h.commit()
    await h.settle()
    expect(h.got(a)).toEqual([1, 2])
  })

  it("[S9] a socket that left before its head was read is not followed", async () => {
    const h = harness()
    const a = conn("a")
    h.fanOut.subscribe(a, doc)
    h.fanOut.unsubscribe(a, doc)
    expect(h.fanOut.joined(a, doc, 3)).toBe(3)
    expect(h.fanOut.docsFollowed).toBe(0)
  })

  it("[S9] this node's own NOTIFY, even one arriving before the commit's answer, reads nothing back: memory sends it", async () => {
    const h = harness()
    const a = h.follower("a")
    // Postgres delivers the NOTIFY of seq 1 to the LISTEN connection first, then the commit returns.
    h.log.push(record(1))
    h.fanOut.announced(ws, doc, 1, Date.now(), "this-node")
    h.fanOut.committed(ws, doc, [h.log[0]!])
    await h.settle()
    expect(h.got(a)).toEqual([1])
    expect(h.reads.count).toBe(0)
  })

  it("[S9] another node's NOTIFY (or one without an origin) is read from the log once", async () => {
    const h = harness()
    const a = h.follower("a")
    h.log.push(record(1))
    h.fanOut.announced(ws, doc, 1, Date.now(), "another-node")
    await h.settle()
    h.log.push(record(2))
    h.fanOut.announced(ws, doc, 2, Date.now(), null)
    await h.settle()
    expect(h.got(a)).toEqual([1, 2])
    expect(h.reads.count).toBe(2)
  })

  it("[S9] a commit whose outcome this node does not know is read back from the log (recheck)", async () => {
    const h = harness()
    const a = h.follower("a")
    // The transaction committed, but its answer was lost (a timeout): memory never sent it.
    h.log.push(record(1))
    h.fanOut.announced(ws, doc, 1, Date.now(), "this-node")
    await h.settle()
    expect(h.got(a)).toEqual([])
    h.fanOut.recheck(ws, doc)
    await h.settle()
    expect(h.got(a)).toEqual([1])
    // Later commits from memory follow on.
    h.commit()
    expect(h.got(a)).toEqual([1, 2])
  })
})
