import { LoroDoc, LoroMap, VersionVector } from "loro-crdt"
import { describe, expect, it, vi } from "vitest"
import { loadHostileFixtures, poisoningMutant, TestClient } from "../test/testFixtures.js"
import { workspaceUpdates } from "../test/workspaceUpdates.js"
import { FreshDecoder } from "./FreshDecoder.js"
import { validateBatch } from "./validateBatch.js"

const { base } = loadHostileFixtures()

/** Imports `blobs` into `doc` and validates them as one batch, as the pool worker does. */
const importAndValidate = (doc: LoroDoc, blobs: ReadonlyArray<Uint8Array>) => {
  const from = doc.oplogVersion()
  for (const b of blobs) doc.import(b)
  validateBatch(doc, from, blobs)
}

describe("validateBatch", () => {
  // Only the import and the JSON decode run here: they are safe for this blob in-process; the
  // fresh snapshot read that panics is what poisoningMutant.pg.test.ts shows in a worker.
  it("[S25] issue 13 finding 2: refuses the poisoning mutant of base-update.bin", () => {
    const doc = new LoroDoc()
    expect(() => importAndValidate(doc, [poisoningMutant(base)])).toThrow(/not part of the layout/)
    const json = JSON.stringify(doc.exportJsonUpdates(new VersionVector(null), doc.oplogVersion(), false))
    expect(json).toContain("Unknown(247)")
  })

  it("accepts realistic pushes on an empty document and on one with content", () => {
    const empty = new LoroDoc()
    for (const u of workspaceUpdates(undefined, 5n, 1)) importAndValidate(empty, [u])
    const full = new LoroDoc()
    importAndValidate(full, [new TestClient(6n).addEntities(0, 50)])
    const snapshot = full.export({ mode: "snapshot" })
    importAndValidate(full, workspaceUpdates(snapshot, 7n, 2))
  })

  it("reads what it accepts: a forged mergeable marker that Loro does not take for a text is refused", () => {
    const client = new TestClient(8n)
    const server = new LoroDoc()
    importAndValidate(server, [client.addEntities(0, 1)])
    const forged = client.edit((tasks) => {
      // The marker's shape (magic, kind Text) with a digest that does not match its parent.
      ;(tasks.get("e0") as LoroMap).set("description", new Uint8Array([0, 76, 77, 1, 2, 9, 9, 9]))
    })
    expect(() => importAndValidate(server, [forged])).toThrow(/description does not read as a text/)
  })

  it("refuses values and containers outside the layout with a reason naming the op", () => {
    const client = new TestClient(9n)
    const server = new LoroDoc()
    importAndValidate(server, [client.addEntities(0, 1)])
    const nested = client.edit((tasks) => (tasks.get("e0") as LoroMap).setContainer("sub", new LoroMap()))
    expect(() => importAndValidate(server, [nested])).toThrow(
      /tasks\/e0\.sub cannot hold a child container \(op \d+@9\)/,
    )
  })

  it("decodes a one-commit push once: the blob equals its re-encoding; other blobs are decoded on their own", () => {
    const decode = vi.spyOn(FreshDecoder.prototype, "decode")
    try {
      const client = new TestClient(11n)
      const server = new LoroDoc()
      importAndValidate(server, [client.addEntities(0, 2)])
      expect(decode).toHaveBeenCalledTimes(1)
      decode.mockClear()
      // Two commits in one batch: their re-encoding is one blob equal to neither.
      importAndValidate(server, [client.addEntities(2, 1), client.addEntities(3, 1)])
      expect(decode).toHaveBeenCalledTimes(3)
    } finally {
      decode.mockRestore()
    }
  })

  it("accepts an honest re-send (exported from before changes the server already has)", () => {
    const client = new TestClient(10n)
    const server = new LoroDoc()
    const first = client.addEntities(0, 2)
    importAndValidate(server, [first])
    const before = new LoroDoc()
    before.import(first)
    client.addEntities(2, 1)
    // A client that lost the ack re-sends everything since its first push.
    const resend = client.doc.export({ mode: "update" })
    importAndValidate(server, [resend])
    expect(server.toJSON()).toEqual(client.doc.toJSON())
  })

  it("accepts a re-send whose changes are cut differently from the server's (merged commits)", () => {
    const client = new TestClient(13n)
    const server = new LoroDoc()
    importAndValidate(server, [client.addEntities(0, 1)])
    importAndValidate(server, [client.addEntities(1, 1)]) // stored as its own change
    client.addEntities(2, 1)
    // The client's oplog merged its commits into one change; its re-send carries them as one.
    expect(client.doc.exportJsonUpdates(undefined, undefined, false).changes.length).toBe(1)
    importAndValidate(server, [client.doc.export({ mode: "update" })])
    expect(server.toJSON()).toEqual(client.doc.toJSON())
  })

  it("refuses a blob that re-sends known changes with other content (the fuzz's unloadable log)", () => {
    const server = new LoroDoc()
    importAndValidate(server, [new TestClient(11n).addEntities(0, 1)])
    // The same peer and counters with another task (e5 for e0): the copy would skip it unread,
    // and a batch load of a log holding both versions panics.
    const forged = new TestClient(11n).addEntities(5, 1)
    expect(() => importAndValidate(server, [forged])).toThrow(/re-sends changes of peer 11 with other content/)
  })

  it("judges two blobs of one batch that carry the same changes one at a time", () => {
    const client = new TestClient(12n)
    const server = new LoroDoc()
    const a = client.addEntities(0, 1)
    client.addEntities(1, 1)
    const ab = client.doc.export({ mode: "update" })
    expect(() => importAndValidate(server, [a, ab])).toThrow(/carry the same changes/)
  })
})
