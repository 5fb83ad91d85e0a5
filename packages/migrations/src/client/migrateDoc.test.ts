import { DOC_LAYOUT_VERSION, readEntity, readWorkspace, setTaskDescription, updateTask } from "@vibestack/schema"
import { LoroDoc, LoroMap, LoroText } from "loro-crdt"
import { describe, expect, it } from "vitest"
import { CURRENT_DOC_VERSION, docVersionStatus, migrateDoc, tooNewMessage } from "./index.js"

let peer = 100n
const newDoc = (bytes?: Uint8Array): LoroDoc => {
  const doc = new LoroDoc()
  doc.setPeerId(peer++)
  if (bytes) doc.import(bytes)
  return doc
}
const sync = (a: LoroDoc, b: LoroDoc) => {
  b.import(a.export({ mode: "update", from: b.oplogVersion() }))
  a.import(b.export({ mode: "update", from: a.oplogVersion() }))
}

/** A document as the v1 app wrote it: tasks with a boolean `done`, no `status`, no `meta`. */
const v1Doc = (): LoroDoc => {
  const doc = newDoc()
  const p = doc.getMap("projects").setContainer("p1", new LoroMap())
  for (const [k, v] of Object.entries({ name: "P", color: "#000000", archived: false, createdAt: 1 })) p.set(k, v)
  const tasks = doc.getMap("tasks")
  ;[false, true, false].forEach((done, i) => {
    const t = tasks.setContainer(`t${i}`, new LoroMap())
    const fields = {
      projectId: "p1",
      title: `task ${i}`,
      done,
      priority: "none",
      sortKey: `a${i}`,
      createdAt: 1,
      updatedAt: 1,
    }
    for (const [k, v] of Object.entries(fields)) t.set(k, v)
    t.setContainer("description", new LoroText()).insert(0, `d${i}`)
  })
  doc.commit()
  return doc
}

/** What a v1 client does to a task: flip `done` and nothing else. */
const v1SetDone = (doc: LoroDoc, id: string, done: boolean) => {
  ;(doc.getMap("tasks").get(id) as LoroMap).set("done", done)
  doc.commit()
}

const statuses = (doc: LoroDoc) => Object.fromEntries(readWorkspace(doc).tasks.map((t) => [t.id, t.status]))

describe("client document migrations", () => {
  it("CURRENT_DOC_VERSION is the layout version the schema helpers write", () => {
    expect(CURRENT_DOC_VERSION).toBe(DOC_LAYOUT_VERSION)
  })

  it("migrate a v1 document to v2: status from done, done kept, version recorded", () => {
    const doc = v1Doc()
    expect(docVersionStatus(doc)).toBe("needs-migration")
    expect(migrateDoc(doc)).toEqual({ _tag: "Migrated", from: 1, to: 2, applied: ["v2_task_status"] })
    expect(docVersionStatus(doc)).toBe("ok")
    expect(doc.getByPath("tasks/t1/status")).toBe("done")
    expect(doc.getByPath("tasks/t0/status")).toBe("todo")
    expect(doc.getByPath("tasks/t0/done")).toBe(false)
    expect(statuses(doc)).toEqual({ t0: "todo", t1: "done", t2: "todo" })
    expect(readWorkspace(doc).issues).toEqual([])
  })

  it("are idempotent: a second run writes nothing", () => {
    const doc = v1Doc()
    migrateDoc(doc)
    const version = doc.frontiers()
    expect(migrateDoc(doc)).toEqual({ _tag: "UpToDate", version: 2 })
    doc.commit()
    expect(doc.frontiers()).toEqual(version)
  })

  it("converge when two devices migrate copies of one v1 document concurrently", () => {
    const origin = v1Doc()
    const bytes = origin.export({ mode: "snapshot" })
    const a = newDoc(bytes)
    const b = newDoc(bytes)
    // Each device also edits while migrating, as a real session would right after opening.
    migrateDoc(a)
    updateTask(a, "t0", { status: "in_progress" })
    a.commit()
    migrateDoc(b)
    setTaskDescription(b, "t2", "edited on B")
    b.commit()
    sync(a, b)
    expect(a.toJSON()).toEqual(b.toJSON())
    expect(a.oplogVersion().toJSON()).toEqual(b.oplogVersion().toJSON())
    expect(docVersionStatus(a)).toBe("ok")
    expect(statuses(a)).toEqual({ t0: "in_progress", t1: "done", t2: "todo" })
    expect(readWorkspace(b)).toEqual(readWorkspace(a))
    // Re-running on the merged document is a no-op on both devices.
    expect(migrateDoc(a)._tag).toBe("UpToDate")
    expect(migrateDoc(b)._tag).toBe("UpToDate")
  })

  it("show a v1 client's later offline edit (done=true, and reopening) after the doc was migrated", () => {
    const origin = v1Doc()
    const oldClient = newDoc(origin.export({ mode: "snapshot" }))
    const newClient = newDoc(origin.export({ mode: "snapshot" }))
    migrateDoc(newClient)
    updateTask(newClient, "t2", { status: "in_review" })
    newClient.commit()
    sync(oldClient, newClient)
    // The v1 app knows nothing about status: it flips `done` only.
    v1SetDone(oldClient, "t0", true)
    v1SetDone(oldClient, "t1", false)
    v1SetDone(oldClient, "t2", true)
    // ...and creates a task in its own v1 shape.
    const t = oldClient.getMap("tasks").setContainer("t9", new LoroMap())
    for (const [k, v] of Object.entries({
      projectId: "p1",
      title: "old",
      done: true,
      priority: "low",
      sortKey: "a9",
      createdAt: 2,
      updatedAt: 2,
    }))
      t.set(k, v)
    oldClient.commit()
    sync(oldClient, newClient)
    expect(statuses(newClient)).toEqual({ t0: "done", t1: "todo", t2: "done", t9: "done" })
    expect(readEntity(newClient, "tasks", "t9")).toMatchObject({
      _tag: "Found",
      entity: { status: "done", description: "" },
    })
    // A v2 edit afterwards brings status and done back in step.
    updateTask(newClient, "t1", { status: "canceled" })
    expect([newClient.getByPath("tasks/t1/status"), newClient.getByPath("tasks/t1/done")]).toEqual(["canceled", false])
    expect(statuses(newClient).t1).toBe("canceled")
  })

  it("report a document from a newer app as too-new and leave it untouched", () => {
    const doc = v1Doc()
    migrateDoc(doc)
    doc.getMap("meta").set("schemaVersion", CURRENT_DOC_VERSION + 1)
    doc.commit()
    const version = doc.frontiers()
    expect(docVersionStatus(doc)).toBe("too-new")
    const r = migrateDoc(doc)
    expect(r).toEqual({ _tag: "TooNew", version: 3, message: tooNewMessage(3) })
    expect(tooNewMessage(3)).toContain("read-only")
    doc.commit()
    expect(doc.frontiers()).toEqual(version)
  })

  it("stamp a brand-new empty document with the current version", () => {
    const doc = newDoc()
    expect(migrateDoc(doc)._tag).toBe("Migrated")
    expect(doc.getByPath("meta/schemaVersion")).toBe(CURRENT_DOC_VERSION)
    expect(docVersionStatus(doc)).toBe("ok")
  })
})
