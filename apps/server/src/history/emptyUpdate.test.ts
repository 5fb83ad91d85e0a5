import { LoroDoc, LoroMap } from "loro-crdt"
import { describe, expect, it } from "vitest"
import { checkPushBlob } from "../store/blobHeader.js"
import { EMPTY_UPDATE } from "./emptyUpdate.js"

describe("EMPTY_UPDATE", () => {
  it("[S24] is exactly an empty document's update export, and a valid push blob", () => {
    expect(EMPTY_UPDATE).toEqual(new LoroDoc().export({ mode: "update" }))
    expect(checkPushBlob(EMPTY_UPDATE)).toEqual({ ok: true, mode: "update" })
  })

  it("[S24] imports as a no-op into a document with content, alone and in a batch", () => {
    const doc = new LoroDoc()
    doc.getMap("tasks").setContainer("t1", new LoroMap()).set("title", "kept")
    doc.commit()
    const before = { json: doc.toJSON(), version: doc.oplogVersion().toJSON() }
    const status = doc.import(EMPTY_UPDATE)
    expect(status.pending ?? undefined).toBeUndefined()
    doc.importBatch([EMPTY_UPDATE, EMPTY_UPDATE])
    expect({ json: doc.toJSON(), version: doc.oplogVersion().toJSON() }).toEqual(before)
    // A fresh document built from a log where one entry was replaced by it reads the rest.
    const fresh = new LoroDoc()
    fresh.importBatch([doc.export({ mode: "update" }), EMPTY_UPDATE])
    expect(LoroDoc.fromSnapshot(fresh.export({ mode: "snapshot" })).toJSON()).toEqual(before.json)
  })
})
