import { LoroDoc, LoroMap, type LoroText } from "loro-crdt"
import { describe, expect, it } from "vitest"
import type { OutboxEntry, RejectedEntry, StoredDoc } from "./LocalStore.js"
import { planRebase, planRetry } from "./rebase.js"

const refusedError = { kind: "InvalidUpdate" as const, message: "title too long" }

/**
 * A device: one LoroDoc whose commits become outbox entries (ids in commit order), and the
 * server's view (`server`), which holds only what was acknowledged.
 */
const device = () => {
  const doc = new LoroDoc()
  const server = new LoroDoc()
  const outbox: Array<OutboxEntry> = []
  let id = 0
  let keys = 0
  const commit = (f: (d: LoroDoc) => void): OutboxEntry => {
    const from = doc.oplogVersion()
    f(doc)
    doc.commit()
    const e = { id: ++id, bytes: doc.export({ mode: "update", from }), idempotencyKey: `k${id}`, createdAt: id }
    outbox.push(e)
    return e
  }
  const ack = (e: OutboxEntry) => {
    server.import(e.bytes)
    outbox.splice(outbox.indexOf(e), 1)
  }
  const stored = (): StoredDoc => ({
    snapshot: doc.export({ mode: "snapshot" }),
    updates: [],
    cursor: 0,
    schemaVersion: 0,
  })
  return { doc, server, outbox, commit, ack, stored, newKey: () => `new${++keys}` }
}

const task = (d: LoroDoc, id: string): LoroMap => d.getMap("tasks").get(id) as LoroMap

/** The document a plan describes, and what the server ends with when it accepts the new outbox. */
const outcome = (server: LoroDoc, plan: ReturnType<typeof planRebase>["plan"]) => {
  const local = new LoroDoc()
  local.import(plan.snapshot)
  const after = server.fork()
  for (const e of plan.outbox) {
    const status = after.import(e.bytes)
    expect(status.pending ?? undefined).toBeUndefined()
  }
  return { local: local.toJSON(), server: after.toJSON() }
}

describe("planRebase", () => {
  it("[C14] leaves the refused change out, re-applies what depended on it, and moves typed text past it", () => {
    const d = device()
    const c1 = d.commit((doc) => {
      const t = doc.getMap("tasks").setContainer("t1", new LoroMap())
      t.set("title", "one")
      t.ensureMergeableText("desc").insert(0, "hello")
    })
    d.ack(c1)
    const c2 = d.commit((doc) => task(doc, "t1").set("status", "todo"))
    d.ack(c2)
    // c3 is refused: a title over the limit and a paste into the description.
    const c3 = d.commit((doc) => {
      task(doc, "t1").set("title", "x".repeat(600))
      ;(task(doc, "t1").get("desc") as LoroText).insert(5, " PASTED")
    })
    const c4 = d.commit((doc) => {
      const text = task(doc, "t1").get("desc") as LoroText
      text.insert(text.length, " world")
    })
    const c5 = d.commit((doc) => doc.getMap("tasks").setContainer("t2", new LoroMap()).set("title", "two"))
    const { plan, rejected, reapplied } = planRebase({
      stored: d.stored(),
      outbox: d.outbox,
      rejected: [],
      refused: new Map([[c3.id, refusedError]]),
      newKey: d.newKey,
    })
    expect({ rejected, reapplied }).toEqual({ rejected: 1, reapplied: 2 })
    expect(plan.expectOutbox).toEqual([c3.id, c4.id, c5.id])
    expect(plan.outbox.map((e) => [e.idempotencyKey, e.createdAt])).toEqual([
      ["new1", c4.createdAt],
      ["new2", c5.createdAt],
    ])
    expect(plan.rejected).toHaveLength(1)
    expect(plan.rejected[0]).toMatchObject({ id: c3.id, idempotencyKey: "k3", error: refusedError })
    expect(plan.rejected[0]!.summary).toMatch(/tasks\/t1\/title: set to "x{10,}/)
    expect(plan.rejected[0]!.summary).toMatch(/tasks\/t1\/desc: typed " PASTED"/)
    expect(plan.rejected[0]!.text).toContain("x".repeat(600))
    const expected = { tasks: { t1: { title: "one", status: "todo", desc: "hello world" }, t2: { title: "two" } } }
    const { local, server } = outcome(d.server, plan)
    expect(local).toEqual(expected)
    expect(server).toEqual(expected)
  })

  it("[C14] keeps another tab's independent commit as it is (same bytes, same key: it may be on the server)", () => {
    const d = device()
    const c1 = d.commit((doc) => doc.getMap("m").set("a", 1))
    d.ack(c1)
    // Another tab (its own peer), working from the acknowledged state only.
    const tab = d.server.fork()
    const refusedOne = d.commit((doc) => doc.getMap("m").set("bad", "x"))
    const from = tab.oplogVersion()
    tab.getMap("other").set("b", 2)
    tab.commit()
    d.doc.import(tab.export({ mode: "update", from }))
    const independent: OutboxEntry = {
      id: 99,
      bytes: tab.export({ mode: "update", from }),
      idempotencyKey: "tab-key",
      createdAt: 5,
    }
    d.outbox.push(independent)
    const { plan } = planRebase({
      stored: d.stored(),
      outbox: d.outbox,
      rejected: [],
      refused: new Map([[refusedOne.id, refusedError]]),
      newKey: d.newKey,
    })
    expect(plan.outbox).toEqual([{ bytes: independent.bytes, idempotencyKey: "tab-key", createdAt: 5 }])
    expect(outcome(d.server, plan).local).toEqual({ m: { a: 1 }, other: { b: 2 } })
  })

  it("[C14] an edit to an entity only the refused change created joins the rejected list, never silently dropped", () => {
    const d = device()
    const c1 = d.commit((doc) => doc.getMap("tasks").setContainer("t1", new LoroMap()).set("title", "kept"))
    d.ack(c1)
    const creates = d.commit((doc) =>
      doc.getMap("tasks").setContainer("t9", new LoroMap()).set("title", "x".repeat(600)),
    )
    const edits = d.commit((doc) => task(doc, "t9").set("title", "shorter"))
    const other = d.commit((doc) => task(doc, "t1").set("status", "done"))
    const { plan } = planRebase({
      stored: d.stored(),
      outbox: d.outbox,
      rejected: [],
      refused: new Map([[creates.id, refusedError]]),
      newKey: d.newKey,
    })
    expect(plan.rejected.map((e) => [e.id, e.error.kind])).toEqual([
      [creates.id, "InvalidUpdate"],
      [edits.id, "Conflict"],
    ])
    expect(plan.rejected[1]!.summary).toBe('tasks/t9/title: set to "shorter"')
    expect(plan.outbox).toHaveLength(1)
    expect(outcome(d.server, plan)).toEqual({
      local: { tasks: { t1: { title: "kept", status: "done" } } },
      server: { tasks: { t1: { title: "kept", status: "done" } } },
    })
    void other
  })

  it("[C14] a viewer's outbox is refused as a whole: the document goes back to the server's state", () => {
    const d = device()
    const c1 = d.commit((doc) => doc.getMap("m").set("a", 1))
    d.ack(c1)
    d.commit((doc) => doc.getMap("m").set("b", 2))
    d.commit((doc) => doc.getText("t").insert(0, "typed"))
    const forbidden = { kind: "Forbidden" as const, message: "viewers cannot push" }
    const { plan } = planRebase({
      stored: d.stored(),
      outbox: d.outbox,
      rejected: [],
      refused: new Map(),
      refuseAll: forbidden,
      newKey: d.newKey,
    })
    expect(plan.outbox).toEqual([])
    expect(plan.rejected.map((e) => [e.error, e.summary])).toEqual([
      [forbidden, "m/b: set to 2"],
      [forbidden, 't: typed "typed"'],
    ])
    expect(outcome(d.server, plan).local).toEqual({ m: { a: 1 } })
  })
})

describe("planRetry", () => {
  it("[C15] applies a refused change again on top, moved past what came after it", () => {
    const d = device()
    const c1 = d.commit((doc) => doc.getText("t").insert(0, "hello"))
    d.ack(c1)
    const refused = d.commit((doc) => doc.getText("t").insert(5, " there"))
    const later = d.commit((doc) => doc.getText("t").insert(0, ">> "))
    const { plan } = planRebase({
      stored: d.stored(),
      outbox: d.outbox,
      rejected: [],
      refused: new Map([[refused.id, refusedError]]),
      newKey: d.newKey,
    })
    void later
    expect(outcome(d.server, plan).local).toEqual({ t: ">> hello" })
    // The rebased device: its document is the plan's snapshot, its outbox the plan's outbox.
    let id = 100
    const outbox = plan.outbox.map((e) => ({ ...e, id: ++id }))
    const rejected: ReadonlyArray<RejectedEntry> = plan.rejected
    const retry = planRetry({
      stored: { snapshot: plan.snapshot, updates: [], cursor: 0, schemaVersion: 0 },
      outbox,
      rejected,
      id: refused.id,
      newKey: () => "retry-key",
      now: 500,
    })
    if ("error" in retry) throw new Error(retry.error)
    expect(retry).toMatchObject({ idempotencyKey: "retry-key", createdAt: 500 })
    const doc = new LoroDoc()
    doc.import(plan.snapshot)
    doc.import(retry.bytes)
    expect(doc.toJSON()).toEqual({ t: ">> hello there" })
  })
})
