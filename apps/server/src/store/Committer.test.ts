import type { DocId, WorkspaceId } from "@vibestack/schema"
import { describe, expect, it } from "vitest"
import { Committer, couldNotCommit, type GroupOutcome, type PushInput, type PushOutcome } from "./ByteStore.js"

/** A push of document `doc`; `n` tells pushes apart in the recorded transactions. */
const push = (doc: string, n: number): PushInput => ({
  ws: "w" as WorkspaceId,
  doc: doc as DocId,
  bytes: new Uint8Array([n]),
  idempotencyKey: undefined,
  clientId: undefined,
})

/**
 * A committer over a fake statement that records each transaction's pushes and waits for the
 * test to finish it: the committer's own logic (grouping, order, staleness) is what is tested.
 */
const harness = () => {
  const transactions: Array<Array<string>> = []
  const finishers: Array<(fail?: boolean) => void> = []
  const seqs = new Map<string, number>()
  const committer = new Committer(
    (batch) =>
      new Promise<Array<PushOutcome>>((resolve, reject) => {
        transactions.push(batch.map((p) => `${p.doc}${p.bytes[0]}`))
        finishers.push((fail) => {
          if (fail) return reject(new Error("injected"))
          resolve(
            batch.map((p) => {
              const seq = (seqs.get(p.doc) ?? 0) + 1
              seqs.set(p.doc, seq)
              return { seq, duplicate: false }
            }),
          )
        })
      }),
    { committed: () => {}, failed: () => {} },
  )
  const settled: Array<[string, GroupOutcome["_tag"]]> = []
  const enqueue = (
    doc: string,
    n: number,
    opts: { stale?: () => boolean; onSettle?: (o: GroupOutcome) => void } = {},
  ) =>
    committer.enqueue({
      group: [push(doc, n)],
      origin: "node",
      stale: opts.stale ?? (() => false),
      settle: (o) => {
        settled.push([`${doc}${n}`, o._tag])
        opts.onSettle?.(o)
      },
    })
  /** Lets the committer's promise callbacks run. */
  const flush = () => new Promise((r) => setTimeout(r, 0))
  return { committer, transactions, finishers, settled, enqueue, flush }
}

describe("the byte store's group committer", () => {
  it("commits at once when idle, then puts every document queued meanwhile into one transaction", async () => {
    const h = harness()
    h.enqueue("a", 1)
    expect(h.transactions).toEqual([["a1"]])
    h.enqueue("b", 1)
    h.enqueue("c", 1)
    h.enqueue("d", 1)
    h.finishers[0]!()
    await h.flush()
    expect(h.transactions).toEqual([["a1"], ["b1", "c1", "d1"]])
    h.finishers[1]!()
    await h.flush()
    expect(h.settled).toEqual([
      ["a1", "Committed"],
      ["b1", "Committed"],
      ["c1", "Committed"],
      ["d1", "Committed"],
    ])
  })

  it("never puts two groups of one document in a transaction, and keeps each document's order", async () => {
    const h = harness()
    h.enqueue("x", 0)
    for (const [doc, n] of [
      ["a", 1],
      ["a", 2],
      ["b", 1],
      ["a", 3],
      ["b", 2],
      ["c", 1],
    ] as const)
      h.enqueue(doc, n)
    for (let t = 0; t < 4; t++) {
      h.finishers[t]?.()
      await h.flush()
    }
    expect(h.transactions).toEqual([["x0"], ["a1", "b1", "c1"], ["a2", "b2"], ["a3"]])
    expect(h.settled.map(([g]) => g)).toEqual(["x0", "a1", "b1", "c1", "a2", "b2", "a3"])
  })

  it("judges a group stale only once its document's earlier group has settled, before its own transaction", async () => {
    const h = harness()
    // The document's epoch, as the push path keeps it: a failed commit bumps it in its settle.
    let epoch = 0
    const bumpOnFailure = (o: GroupOutcome) => {
      if (o._tag === "Failed") epoch++
    }
    h.enqueue("a", 1, { onSettle: bumpOnFailure })
    const validatedAt = epoch
    h.enqueue("a", 2, { stale: () => epoch !== validatedAt })
    h.enqueue("b", 1)
    expect(h.transactions).toEqual([["a1"]])
    h.finishers[0]!(true)
    await h.flush()
    // a2 was validated on top of a1, which was never stored: left out, never written.
    expect(h.transactions).toEqual([["a1"], ["b1"]])
    expect(h.settled).toEqual([
      ["a1", "Failed"],
      ["a2", "Stale"],
    ])
    h.finishers[1]!()
    await h.flush()
    expect(h.settled.at(-1)).toEqual(["b1", "Committed"])
  })

  it("goes on committing when a settle throws", async () => {
    const h = harness()
    h.enqueue("a", 1, {
      onSettle: () => {
        throw new Error("a bug in a settle")
      },
    })
    h.enqueue("b", 1)
    h.finishers[0]!()
    await h.flush()
    h.finishers[1]!()
    await h.flush()
    expect(h.settled).toEqual([
      ["a1", "Committed"],
      ["b1", "Committed"],
    ])
  })

  it("appendAll's promise: resolves with each group's own outcomes, rejects when the transaction failed", async () => {
    const h = harness()
    h.enqueue("x", 0)
    const first = h.committer.append([push("a", 1), push("a", 2)], "node")
    const second = h.committer.append([push("b", 1)], "node")
    h.finishers[0]!()
    await h.flush()
    h.finishers[1]!(true)
    const [a, b] = await Promise.allSettled([first, second])
    expect(a).toMatchObject({ status: "rejected", reason: couldNotCommit() })
    expect(b).toMatchObject({ status: "rejected", reason: couldNotCommit() })
    const third = h.committer.append([push("a", 3)], "node")
    h.finishers[2]!()
    expect(await third).toEqual([{ seq: 1, duplicate: false }])
  })
})
