import { CURRENT_DOC_VERSION } from "@vibestack/migrations"
import { collectionMap, createProject, metaMap, readSchemaVersion, SCHEMA_VERSION_KEY } from "@vibestack/schema"
import { LoroDoc, LoroMap } from "loro-crdt"
import { describe, expect, it } from "vitest"
import { gateDoc } from "./docGate.js"

/** A v1 document: no schema version, one task with only the old boolean `done`. */
const v1Doc = (): LoroDoc => {
  const doc = new LoroDoc()
  const task = collectionMap(doc, "tasks").setContainer("t1", new LoroMap())
  task.set("id", "t1")
  task.set("title", "old")
  task.set("done", true)
  doc.commit()
  return doc
}

describe("gateDoc (runs before the UI reads a document)", () => {
  it("migrates an older document for a writer, in one local commit", () => {
    const doc = v1Doc()
    const commits: Array<Uint8Array> = []
    doc.subscribeLocalUpdates((b) => commits.push(b))
    expect(gateDoc(doc, { canWrite: true })).toEqual({ _tag: "Writable" })
    expect(readSchemaVersion(doc)).toBe(CURRENT_DOC_VERSION)
    expect((collectionMap(doc, "tasks").toJSON() as Record<string, { status?: string }>).t1?.status).toBe("done")
    expect(commits.length).toBe(1)
    // Idempotent: nothing more to write.
    gateDoc(doc, { canWrite: true })
    expect(commits.length).toBe(1)
  })

  it("leaves an older document alone for a viewer, and an empty one for everybody", () => {
    const doc = v1Doc()
    expect(gateDoc(doc, { canWrite: false })).toEqual({ _tag: "Writable" })
    expect(readSchemaVersion(doc)).toBe(1)
    const empty = new LoroDoc()
    gateDoc(empty, { canWrite: true })
    expect(empty.oplogVersion().length()).toBe(0)
  })

  it("opens a document from a newer app read-only, untouched, with the message", () => {
    const doc = new LoroDoc()
    createProject(doc, { name: "Future", color: "#000000" })
    metaMap(doc).set(SCHEMA_VERSION_KEY, CURRENT_DOC_VERSION + 1)
    doc.commit()
    const before = doc.oplogVersion().toJSON()
    const gate = gateDoc(doc, { canWrite: true })
    expect(gate._tag).toBe("TooNew")
    expect(gate._tag === "TooNew" && gate.message).toContain("newer version")
    expect(doc.oplogVersion().toJSON()).toEqual(before)
  })
})
