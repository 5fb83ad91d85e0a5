import { Either } from "effect"
import fc from "fast-check"
import {
  type ContainerID,
  type JsonChange,
  type JsonOp,
  LoroDoc,
  LoroList,
  LoroMap,
  LoroText,
  type VersionVector,
} from "loro-crdt"
import { describe, expect, it } from "vitest"
import { seedWorkspace } from "../seed.js"
import { testDoc } from "../test/testDoc.js"
import { type Action, actionArb, applyEdit } from "../test/workload.js"
import { addComment } from "./comments.js"
import { upsertMember } from "./members.js"
import { opsContextOf } from "./opsContext.js"
import { createProject, deleteProject, updateProject } from "./projects.js"
import { createTask, deleteTask, moveTask, setTaskDescription, taskDescription, updateTask } from "./tasks.js"
import { type OpsContext, validateOps } from "./validateOps.js"

/** Validates what `doc` holds past `from`, the way the server sees a push it just imported. */
const verdict = (doc: LoroDoc, from?: VersionVector) => {
  const json = doc.exportJsonUpdates(from, doc.oplogVersion(), false)
  const r = validateOps(json.changes, opsContextOf(doc))
  return Either.isRight(r) ? "ok" : r.left.reason
}

/** Runs `write` on a copy of `doc` and validates just what it added, after import on a server copy. */
const pushOf = (doc: LoroDoc, write: (d: LoroDoc) => void): string => {
  const from = doc.oplogVersion()
  write(doc)
  doc.commit()
  const server = new LoroDoc()
  server.import(doc.export({ mode: "snapshot" }))
  return verdict(server, from)
}

const workspace = () => {
  const doc = testDoc()
  createProject(doc, { id: "p1", name: "Website", color: "#3b82f6" })
  upsertMember(doc, { id: "m1", name: "Ada", color: "#e11d48" })
  createTask(doc, { id: "t1", projectId: "p1", title: "Fix login", description: "Steps" })
  createTask(doc, { id: "t2", projectId: "p1", title: "Ship" })
  addComment(doc, { id: "c1", taskId: "t1", authorId: "m1", body: "On it" })
  doc.commit()
  return doc
}

describe("validateOps: what the schema's write helpers produce passes", () => {
  it("every helper, one push each, including deletes and descriptions", () => {
    const doc = workspace()
    expect(verdict(doc)).toBe("ok")
    const pushes: Array<(d: LoroDoc) => void> = [
      (d) => updateProject(d, "p1", { name: "Site", archived: true }),
      (d) =>
        updateTask(d, "t1", {
          title: "Fix it",
          status: "done",
          priority: "urgent",
          assigneeId: "m1",
          dueDate: "2025-02-28",
        }),
      (d) => updateTask(d, "t1", { assigneeId: null, dueDate: null }),
      (d) => moveTask(d, "t2", { after: null, before: "t1" }),
      (d) => setTaskDescription(d, "t1", "Steps, then 🦜 more"),
      (d) => setTaskDescription(d, "t2", "first text of t2"),
      (d) => taskDescription(d, "t2").delete(0, 6),
      (d) => upsertMember(d, { id: "m1", name: "Ada L.", color: "#000000" }),
      (d) => d.getMap("meta").set("schemaVersion", 2),
      (d) => deleteTask(d, "t1"),
      (d) => deleteProject(d, "p1"),
    ]
    for (const write of pushes) expect(pushOf(doc, write)).toBe("ok")
  })

  it("a seeded workspace, and a regular (non-mergeable) text at description", () => {
    const doc = testDoc()
    seedWorkspace(doc, { projects: 3, tasks: 120, comments: 30, seed: 7 })
    expect(verdict(doc)).toBe("ok")
    expect(
      pushOf(doc, (d) =>
        (d.getMap("tasks").get("t7_0") as LoroMap).setContainer("description", new LoroText()).insert(0, "x"),
      ),
    ).toBe("ok")
  })

  it("an edit of an entity another device deleted meanwhile (the container is detached)", () => {
    const a = workspace()
    const b = testDoc()
    b.import(a.export({ mode: "snapshot" }))
    deleteTask(a, "t1")
    a.commit()
    const from = b.oplogVersion()
    setTaskDescription(b, "t1", "still typing")
    updateTask(b, "t1", { title: "late edit" })
    b.commit()
    a.import(b.export({ mode: "update", from }))
    expect(verdict(a, from)).toBe("ok")
  })

  it("property: random multi-device workloads and reverts pass, push by push", { timeout: 120_000 }, () => {
    fc.assert(
      fc.property(
        fc.array(actionArb(3), { minLength: 10, maxLength: 80 }),
        fc.nat(),
        (actions: Array<Action>, revertAt) => {
          // Every device starts from one shared workspace, as after a first sync.
          const origin = workspace()
          const server = new LoroDoc()
          server.import(origin.export({ mode: "snapshot" }))
          const peers = [origin, testDoc(), testDoc()]
          for (const p of peers.slice(1)) p.import(origin.export({ mode: "snapshot" }))
          const pushed: Array<VersionVector> = peers.map(() => server.oplogVersion())
          const push = (i: number) => {
            const from = server.oplogVersion()
            server.import(peers[i]!.export({ mode: "update", from: pushed[i] }))
            pushed[i] = peers[i]!.oplogVersion()
            const v = verdict(server, from)
            if (v !== "ok") throw new Error(`honest push refused: ${v}`)
          }
          for (const a of actions) {
            if (a._tag === "Sync")
              peers[a.to]!.import(peers[a.from]!.export({ mode: "update", from: peers[a.to]!.oplogVersion() }))
            else if (a._tag === "Push") push(a.peer)
            else applyEdit(peers[a.peer]!, a)
          }
          peers.forEach((_, i) => push(i))
          // History restore: reverting to an earlier version writes ordinary ops that must pass too.
          const reverter = peers[0]!
          reverter.import(server.export({ mode: "update", from: reverter.oplogVersion() }))
          const changes = reverter.getAllChanges().get(reverter.peerIdStr) ?? []
          const target = changes[revertAt % Math.max(1, changes.length)]
          if (target !== undefined) {
            reverter.revertTo([{ peer: reverter.peerIdStr, counter: target.counter }])
            reverter.commit()
            push(0)
          }
        },
      ),
      { numRuns: 60 },
    )
  })
})

/** One crafted change of peer 9 on top of `doc`, validated as if it had been imported. */
const crafted = (doc: LoroDoc, ops: Array<Omit<JsonOp, "counter">>, ctx?: Partial<OpsContext>): string => {
  const change: JsonChange = {
    id: "0@9",
    timestamp: 0,
    deps: [],
    lamport: 0,
    msg: null,
    ops: ops.map((op, i) => ({ ...op, counter: i }) as JsonOp),
  }
  const r = validateOps([change], { ...opsContextOf(doc), ...ctx })
  return Either.isRight(r) ? "ok" : r.left.reason
}
const mapInsert = (container: string, key: string, value: unknown) =>
  ({ container: container as ContainerID, content: { type: "insert", key, value } }) as Omit<JsonOp, "counter">
const textOp = (container: string, content: object) =>
  ({ container: container as ContainerID, content }) as unknown as Omit<JsonOp, "counter">

describe("validateOps: what falls outside the layout is refused, with a reason", () => {
  const refusedPush = (write: (d: LoroDoc) => void) => pushOf(workspace(), write)

  it.each([
    ["an unknown root", (d: LoroDoc) => d.getMap("rows").set("x", 1), /cid:root-rows:Map.*not part of the layout/],
    ["a root of the wrong kind", (d: LoroDoc) => d.getText("tasks").insert(0, "x"), /not part of the layout/],
    ["a scalar as an entity", (d: LoroDoc) => d.getMap("tasks").set("t9", "plain"), /tasks\/t9 must be a child map/],
    ["an invalid entity id", (d: LoroDoc) => d.getMap("tasks").setContainer("a b", new LoroMap()), /invalid id/],
    ["the reserved id", (d: LoroDoc) => d.getMap("projects").setContainer("__proto__", new LoroMap()), /reserved id/],
    [
      "a list in an entity",
      (d: LoroDoc) => (d.getMap("tasks").get("t1") as LoroMap).setContainer("tags", new LoroList()),
      /cannot hold a child container/,
    ],
    [
      "a map as description",
      (d: LoroDoc) => (d.getMap("tasks").get("t2") as LoroMap).setContainer("description", new LoroMap()),
      /must be a text/,
    ],
    [
      "a scalar description",
      (d: LoroDoc) => (d.getMap("tasks").get("t2") as LoroMap).set("description", "flat"),
      /must be a text/,
    ],
    ["a movable list", (d: LoroDoc) => d.getMovableList("ml").push(1), /not part of the layout/],
    ["a tree", (d: LoroDoc) => d.getTree("tree").createNode(), /not part of the layout/],
    ["a counter", (d: LoroDoc) => d.getCounter("cnt").increment(1), /not part of the layout/],
    ["a child of meta", (d: LoroDoc) => d.getMap("meta").setContainer("x", new LoroMap()), /meta holds no child/],
    ["schemaVersion 0", (d: LoroDoc) => d.getMap("meta").set("schemaVersion", 0), /greater than or equal to 1/],
    [
      "a title too long",
      (d: LoroDoc) => (d.getMap("tasks").get("t1") as LoroMap).set("title", "x".repeat(501)),
      /title/,
    ],
    ["a bad status", (d: LoroDoc) => (d.getMap("tasks").get("t1") as LoroMap).set("status", "later"), /status/],
    [
      "a non-finite number",
      (d: LoroDoc) => (d.getMap("tasks").get("t1") as LoroMap).set("createdAt", Number.NaN),
      /createdAt/,
    ],
    [
      "an unknown key holding a map",
      (d: LoroDoc) => (d.getMap("tasks").get("t1") as LoroMap).set("labels", { a: 1 }),
      /unknown key labels/,
    ],
    [
      "an unknown key holding bytes",
      (d: LoroDoc) => (d.getMap("members").get("m1") as LoroMap).set("avatar", new Uint8Array([1, 2])),
      /unknown key avatar/,
    ],
    [
      "a long unknown string",
      (d: LoroDoc) => (d.getMap("projects").get("p1") as LoroMap).set("note", "x".repeat(10_001)),
      /unknown key note/,
    ],
    [
      "an odd unknown key",
      (d: LoroDoc) => (d.getMap("projects").get("p1") as LoroMap).set("a b", 1),
      /not a plain name/,
    ],
    ["a rich-text mark", (d: LoroDoc) => taskDescription(d, "t1").mark({ start: 0, end: 2 }, "bold", true), /mark op/],
    ["a huge insert", (d: LoroDoc) => taskDescription(d, "t1").insert(0, "x".repeat(100_001)), /too much text/],
  ])("%s", (_name, write, reason) => {
    expect(refusedPush(write)).toMatch(reason)
  })

  it("keeps accepting unknown keys with short scalar values (newer clients)", () => {
    expect(refusedPush((d) => (d.getMap("tasks").get("t1") as LoroMap).set("estimate", 3))).toBe("ok")
    expect(refusedPush((d) => d.getMap("meta").set("createdBy", "app 9"))).toBe("ok")
  })

  it("refuses container ids of unknown kind, as in the poisoning mutant of issue 13 finding 2", () => {
    const doc = workspace()
    const t1 = (doc.getMap("tasks").get("t1") as LoroMap).id
    expect(crafted(doc, [mapInsert("cid:root-tasks:Map", "t9", "🦜:cid:0@9:Unknown(247)")])).toMatch(
      /must be a child map/,
    )
    expect(crafted(doc, [mapInsert(t1, "title", "x"), mapInsert("cid:0@1:Unknown(16)", "a", 1)])).toMatch(
      /Unknown\(16\).*not part of the layout/,
    )
    expect(crafted(doc, [mapInsert(t1, "sub", "🦜:cid:0@9:Unknown(128)")])).toMatch(/cannot hold a child container/)
  })

  it("refuses impossible text ops: empty or negative-zero lengths, positions past every bound, unknown ids", () => {
    const doc = workspace()
    const text = taskDescription(doc, "t1").id
    const ctx = { maxTextPosition: 100 }
    expect(crafted(doc, [textOp(text, { type: "insert", pos: 0, text: "ok" })], ctx)).toBe("ok")
    expect(crafted(doc, [textOp(text, { type: "insert", pos: 101, text: "x" })], ctx)).toMatch(/impossible position/)
    expect(crafted(doc, [textOp(text, { type: "insert", pos: 0, text: "" })], ctx)).toMatch(/no or too much text/)
    expect(crafted(doc, [textOp(text, { type: "delete", pos: 1, len: 0, start_id: "0@1" })], ctx)).toMatch(/bad length/)
    expect(crafted(doc, [textOp(text, { type: "delete", pos: 0, len: -3, start_id: "0@1" })], ctx)).toMatch(
      /outside the text/,
    )
    expect(crafted(doc, [textOp(text, { type: "delete", pos: 0, len: 2, start_id: "999999@1" })], ctx)).toMatch(
      /unknown characters/,
    )
    expect(crafted(doc, [textOp(text, { type: "delete", pos: 0, len: 2, start_id: "x" })], ctx)).toMatch(/start id/)
    expect(crafted(doc, [textOp(text, { type: "mark_end" })], ctx)).toMatch(/mark_end op/)
  })

  it("places containers by the op that created them, even later in the same batch", () => {
    const doc = workspace()
    const ops = [
      mapInsert("cid:1@9:Map", "title", "child first"),
      mapInsert("cid:root-tasks:Map", "t9", "🦜:cid:1@9:Map"),
    ]
    // Op 0 writes into the map op 1 creates: the create comes second in the change.
    const change: JsonChange = {
      id: "0@9",
      timestamp: 0,
      deps: [],
      lamport: 0,
      msg: null,
      ops: ops.map((op, i) => ({ ...op, counter: i }) as JsonOp),
    }
    expect(Either.isRight(validateOps([change], opsContextOf(doc)))).toBe(true)
  })
})
