import { migrateDoc } from "@vibestack/migrations"
import {
  addComment,
  COLLECTIONS,
  createProject,
  createTask,
  deleteTask,
  MAIN_DOC,
  moveTask,
  readWorkspace,
  updateTask,
  type WorkspaceId,
} from "@vibestack/schema"
import { IDBFactory, IDBKeyRange } from "fake-indexeddb"
import fc from "fast-check"
import { LoroDoc } from "loro-crdt"
import { describe, expect, it, vi } from "vitest"
import { DexieLocalStore } from "../db/DexieLocalStore.js"
import { DocReplica } from "./DocReplica.js"
import type { DocToPage, PageToDoc } from "./docMessages.js"
import { EntityIndex } from "./EntityIndex.js"
import { type Intent, intent } from "./intents.js"
import type { ChannelMessage } from "./messages.js"
import { ProjectEnds } from "./ProjectEnds.js"
import { TaskComments } from "./TaskComments.js"

const ws = "ws_replica" as WorkspaceId
const settle = () => new Promise((r) => setTimeout(r, 0))
/** The page's `Write` of one intent (no undo tag). */
const writeOf = (seq: number, key: string, i: Intent): PageToDoc => ({
  _tag: "Write",
  seq,
  key,
  intent: i,
  tag: undefined,
})

/**
 * A document stored as if pulled (the replica imports it on open), built by `build` on a doc
 * already stamped with the layout version (the replica has no migration of its own to commit).
 * Returns it: a test may go on editing it as another device.
 */
const storeSeed = async (store: DexieLocalStore, build: (doc: LoroDoc) => void): Promise<LoroDoc> => {
  const doc = new LoroDoc()
  migrateDoc(doc)
  build(doc)
  doc.commit()
  await store.appendRemote(ws, MAIN_DOC, [doc.export({ mode: "snapshot" })], 1)
  return doc
}

/** A replica over a fake IndexedDB, its messages to the page applied to a page-side EntityIndex. */
const harness = (store: DexieLocalStore) => {
  const listeners = new Set<(m: ChannelMessage) => void>()
  const index = new EntityIndex()
  const sent: Array<DocToPage> = []
  const broadcast: Array<ChannelMessage> = []
  const replica = new DocReplica(ws, {
    store,
    post: (m) => broadcast.push(m),
    listen: (l) => {
      listeners.add(l)
      return () => listeners.delete(l)
    },
    emit: (m) => {
      sent.push(m)
      if (m._tag !== "Changes") return
      for (const c of COLLECTIONS) {
        index.put(
          c,
          m.puts.filter((p) => p.c === c).map((p) => p.entity),
        )
        index.remove(
          c,
          m.gone.filter((g) => g.c === c).map((g) => g.id),
        )
      }
    },
  })
  /** Another tab or the leader broadcasting on the channel. */
  const hear = (m: ChannelMessage) => {
    for (const l of listeners) l(m)
  }
  return { index, sent, broadcast, replica, hear }
}

/** What the rows in IndexedDB hold, as a board: projects and each project's tasks in order. */
const rowsBoard = async (store: DexieLocalStore) => {
  const projects = await store.entities.list(ws, "projects")
  return Promise.all(projects.map(async (p) => [p.id, (await store.entities.list(ws, "tasks", p.id)).map((t) => t)]))
}

const docBoard = (doc: LoroDoc) => {
  const view = readWorkspace(doc)
  return view.projects.map((p) => [
    p.id,
    view.tasks.filter((t) => t.projectId === p.id).map(({ orderIndex: _, ...t }) => t),
  ])
}

describe("DocReplica (the tab's document, in its worker)", () => {
  it("[C18] page index and IndexedDB rows equal a full read of the document through random writes", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.nat(4), fc.nat(1_000), fc.nat(1_000)), { minLength: 1, maxLength: 30 }),
        async (ops) => {
          const store = new DexieLocalStore(`replica-${Math.random()}`, { indexedDB: new IDBFactory(), IDBKeyRange })
          const h = harness(store)
          await h.replica.open(true)
          let seq = 0
          const write = (i: ReturnType<typeof intent>) => h.replica.handle(writeOf(++seq, `k${seq}`, i))
          write(intent("createProject", { id: "pa", name: "A", color: "#000000" }))
          write(intent("createProject", { id: "pb", name: "B", color: "#000000" }))
          const ids: Array<string> = []
          for (const [op, x, y] of ops) {
            const pick = ids[x % Math.max(1, ids.length)]
            if (op <= 1 || pick === undefined) {
              const id = `t${ids.length}`
              ids.push(id)
              write(intent("createTask", { id, projectId: y % 2 ? "pa" : "pb", title: `t${x}` }))
            } else if (op === 2) write(intent("updateTask", pick, { title: `u${y}` }))
            else if (op === 3) write(intent("moveTask", pick, { after: ids[y % ids.length] ?? null, before: null }))
            else write(intent("deleteTask", pick))
            await settle()
          }
          await h.replica.flush()
          // The replica's own document is the truth: rebuild it from what it persisted.
          const stored = await store.loadDoc(ws, MAIN_DOC)
          const doc = new LoroDoc()
          doc.importBatch(stored.updates.map((u) => u.bytes))
          const want = docBoard(doc)
          expect(await rowsBoard(store)).toEqual(want)
          expect([...h.index.projectList()].map((p) => [p.id, h.index.tasksOf(p.id)])).toEqual(want)
          await h.replica.close()
          store.close()
        },
      ),
      { numRuns: 15 },
    )
  })

  it("[C18] page index and rows follow local writes, undo, and other devices' updates small and large, interleaved", async () => {
    // Changes reach the page from the ops of each import and commit (not Loro's events): every
    // kind of change must arrive, including a first import into an empty document and an
    // undo made with the undo history the first write creates.
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.nat(6), fc.nat(1_000), fc.nat(1_000)), { minLength: 1, maxLength: 25 }),
        fc.boolean(),
        async (ops, remoteFirst) => {
          const store = new DexieLocalStore(`mixed-${Math.random()}`, { indexedDB: new IDBFactory(), IDBKeyRange })
          const h = harness(store)
          await h.replica.open(true)
          const other = new LoroDoc()
          migrateDoc(other)
          createProject(other, { id: "po", name: "O", color: "#000000" })
          for (let i = 0; i < (remoteFirst ? 600 : 3); i++)
            createTask(other, { id: `o${i}`, projectId: "po", title: `o${i}` })
          other.commit()
          const heard: Array<Uint8Array> = []
          const send = (bytes: Uint8Array) => {
            heard.push(bytes)
            h.hear({ _tag: "RemoteUpdates", ws, doc: MAIN_DOC, updates: [bytes] })
          }
          // A new device's first import (600 tasks: past the size where Loro's events cost most).
          if (remoteFirst) send(other.export({ mode: "snapshot" }))
          let seq = 0
          const write = (i: ReturnType<typeof intent>) => h.replica.handle(writeOf(++seq, `k${seq}`, i))
          write(intent("createProject", { id: "pa", name: "A", color: "#000000" }))
          if (!remoteFirst) send(other.export({ mode: "snapshot" }))
          let mine = 0
          let theirs = 0
          for (const [op, x, y] of ops) {
            if (op <= 1) write(intent("createTask", { id: `m${mine++}`, projectId: "pa", title: `m${x}` }))
            else if (op === 2 && mine > 0) write(intent("updateTask", `m${x % mine}`, { title: `u${y}` }))
            else if (op === 3) h.replica.handle({ _tag: "Undo" })
            else {
              // Another device: a small edit, or a batch of new tasks in one update.
              const from = other.oplogVersion()
              const alive = ["o0", "o1", "o2"].filter((id) => other.getMap("tasks").get(id) !== undefined)
              const pick = alive[x % Math.max(1, alive.length)]
              if (op === 4 && pick !== undefined) updateTask(other, pick, { title: `r${y}` })
              else if (op === 5 && pick !== undefined) deleteTask(other, pick)
              else
                for (let i = 0; i < 40 + (y % 40); i++)
                  createTask(other, { id: `n${theirs++}`, projectId: "po", title: `n${i}` })
              other.commit()
              send(other.export({ mode: "update", from }))
            }
            await settle()
          }
          await h.replica.flush()
          // The truth: this device's persisted commits and everything it heard, in one document.
          const stored = await store.loadDoc(ws, MAIN_DOC)
          const doc = new LoroDoc()
          doc.importBatch([...heard, ...stored.updates.map((u) => u.bytes)])
          const want = docBoard(doc)
          expect(await rowsBoard(store)).toEqual(want)
          // After a "read your rows again" (a large import) the page's view is the rows.
          if (!h.sent.some((m) => m._tag === "Reload"))
            expect([...h.index.projectList()].map((p) => [p.id, h.index.tasksOf(p.id)])).toEqual(want)
          await h.replica.close()
          store.close()
        },
      ),
      { numRuns: 12 },
    )
  })

  it("[C18] writes sent before the document is imported are queued, run in order, and persisted", async () => {
    const store = new DexieLocalStore("early", { indexedDB: new IDBFactory(), IDBKeyRange })
    // A stored document the replica has to import first.
    await storeSeed(store, (d) => {
      createProject(d, { id: "p1", name: "P", color: "#000000" })
      createTask(d, { id: "t1", projectId: "p1", title: "before" })
    })
    const h = harness(store)
    h.replica.handle(writeOf(1, `k${1}`, intent("updateTask", "t1", { title: "edited early" })))
    h.replica.handle(writeOf(2, `k${2}`, intent("createTask", { id: "t2", projectId: "p1", title: "new" })))
    await h.replica.open(true)
    await settle()
    await h.replica.flush()
    expect(h.sent.filter((m) => m._tag === "Applied").map((m) => m._tag === "Applied" && m.seq)).toEqual([1, 2])
    expect(h.sent.some((m) => m._tag === "WriteFailed")).toBe(false)
    const titles = (await store.entities.list(ws, "tasks", "p1")).map((t) => t.title).sort()
    expect(titles).toEqual(["edited early", "new"])
    expect(h.broadcast.filter((m) => m._tag === "LocalCommit")).toHaveLength(2)
    await h.replica.close()
  })

  it("[C18] writes arriving at any moment while the document opens run in the order sent, after the journaled ones", async () => {
    // Each task is placed after the one before it: one run out of order is refused ("does not exist").
    await fc.assert(
      fc.asyncProperty(fc.nat(3), fc.array(fc.nat(4), { minLength: 1, maxLength: 8 }), async (journaled, gaps) => {
        const store = new DexieLocalStore(`order-${Math.random()}`, { indexedDB: new IDBFactory(), IDBKeyRange })
        await storeSeed(store, (d) => createProject(d, { id: "p1", name: "P", color: "#000000" }))
        const h = harness(store)
        const ids: Array<string> = []
        const next = (): Intent => {
          const id = `t${ids.length}`
          const after = ids.at(-1)
          ids.push(id)
          return intent("createTask", {
            id,
            projectId: "p1",
            title: id,
            ...(after !== undefined ? { position: { after, before: null } } : {}),
          })
        }
        const replay = Array.from({ length: journaled }, (_, i) => ({ key: `j${i}`, intent: next() }))
        let seq = 0
        const send = () => h.replica.handle(writeOf(++seq, `k${seq}`, next()))
        send() // before the document is opened at all
        const opening = h.replica.open(true, replay)
        for (const gap of gaps) {
          for (let i = 0; i < gap; i++) await settle()
          send()
        }
        await opening
        await settle()
        await h.replica.flush()
        expect(h.sent.filter((m) => m._tag === "WriteFailed")).toEqual([])
        const applied = h.sent.flatMap((m) => (m._tag === "Applied" && m.seq > 0 ? [m.seq] : []))
        expect(applied).toEqual(Array.from({ length: seq }, (_, i) => i + 1))
        expect((await store.entities.list(ws, "tasks", "p1")).map((t) => t.id)).toEqual(ids)
        await h.replica.close()
      }),
      { numRuns: 30 },
    )
  })

  it("[C18] reopening reads only what changed since the rows' mark, including updates stored meanwhile", async () => {
    const store = new DexieLocalStore("mark", { indexedDB: new IDBFactory(), IDBKeyRange })
    const first = harness(store)
    await first.replica.open(true)
    first.replica.handle(writeOf(1, `k${1}`, intent("createProject", { id: "p1", name: "P", color: "#000000" })))
    for (let i = 0; i < 50; i++)
      first.replica.handle(
        writeOf(2 + i, `k${2 + i}`, intent("createTask", { id: `t${i}`, projectId: "p1", title: `t${i}` })),
      )
    await settle()
    await first.replica.close()
    // Another device's edit arrives through the leader while no tab has the workspace open.
    const stored = await store.loadDoc(ws, MAIN_DOC)
    const other = new LoroDoc()
    other.importBatch(stored.updates.map((u) => u.bytes))
    const before = other.oplogVersion()
    updateTask(other, "t7", { title: "remote" })
    deleteTask(other, "t8")
    moveTask(other, "t9", { after: null, before: "t0" })
    other.commit()
    await store.appendRemote(ws, MAIN_DOC, [other.export({ mode: "update", from: before })], 2)
    const second = harness(store)
    await second.replica.open(true)
    const changes = second.sent.filter((m) => m._tag === "Changes")
    // Only the three tasks the remote edit touched are read and sent.
    expect(
      changes
        .flatMap((m) => (m._tag === "Changes" ? [...m.puts.map((p) => p.entity.id), ...m.gone.map((g) => g.id)] : []))
        .sort(),
    ).toEqual(["t7", "t8", "t9"])
    expect(await rowsBoard(store)).toEqual(docBoard(other))
    await second.replica.close()
  })

  it("[C18] a page that drew from older rows gets what another tab wrote before its worker loaded", async () => {
    // Tab A edits; tab B's page reads the rows (and their mark) first, then A edits more and
    // writes those rows too, and only then does B's worker load: its own read of the mark finds
    // nothing to catch up, yet B's page has not seen A's later edits (found in full browser runs).
    const store = new DexieLocalStore("since", { indexedDB: new IDBFactory(), IDBKeyRange })
    const a = harness(store)
    await a.replica.open(true)
    const write = (key: string, i: Intent) => a.replica.handle(writeOf(0, key, i))
    write("k0", intent("createProject", { id: "p1", name: "P", color: "#000000" }))
    for (const t of ["t0", "t1", "t2"]) write(`k-${t}`, intent("createTask", { id: t, projectId: "p1", title: t }))
    await a.replica.flush()

    const b = harness(store)
    const since = await store.entities.mark(ws)
    b.index.put("projects", await store.entities.list(ws, "projects"))
    b.index.put("tasks", await store.entities.list(ws, "tasks", "p1"))

    write("k-t3", intent("createTask", { id: "t3", projectId: "p1", title: "t3" }))
    write("k-del", intent("deleteTask", "t1"))
    write("k-upd", intent("updateTask", "t0", { title: "renamed" }))
    await a.replica.flush()

    await b.replica.open(true, [], since)
    const shown = b.index.tasksOf("p1").map((t) => [t.id, t.title])
    expect(shown).toEqual((await store.entities.list(ws, "tasks", "p1")).map((t) => [t.id, t.title]))
    expect(shown.map(([id]) => id).sort()).toEqual(["t0", "t2", "t3"])
    expect(shown.find(([id]) => id === "t0")?.[1]).toBe("renamed")
    await a.replica.close()
    await b.replica.close()
  })

  it("[C18] a closed tab's journaled intents run once: those whose commit is stored are skipped", async () => {
    const store = new DexieLocalStore("replay", { indexedDB: new IDBFactory(), IDBKeyRange })
    const first = harness(store)
    await first.replica.open(true)
    first.replica.handle(writeOf(1, "k1", intent("createProject", { id: "p1", name: "P", color: "#000000" })))
    first.replica.handle(writeOf(2, "k2", intent("createTask", { id: "t1", projectId: "p1", title: "stored" })))
    await first.replica.close()
    expect(first.sent.filter((m) => m._tag === "Stored").map((m) => m._tag === "Stored" && m.key)).toEqual(["k1", "k2"])
    // The tab closed before hearing "Stored" for k2, and before the worker got k3 at all.
    const second = harness(store)
    await second.replica.open(true, [
      { key: "k2", intent: intent("createTask", { id: "t1", projectId: "p1", title: "stored" }) },
      { key: "k3", intent: intent("createTask", { id: "t2", projectId: "p1", title: "journaled only" }) },
    ])
    await second.replica.flush()
    expect(second.sent.some((m) => m._tag === "WriteFailed")).toBe(false)
    expect((await store.entities.list(ws, "tasks", "p1")).map((t) => t.title).sort()).toEqual([
      "journaled only",
      "stored",
    ])
    expect(
      second.sent
        .filter((m) => m._tag === "Stored")
        .map((m) => m._tag === "Stored" && m.key)
        .sort(),
    ).toEqual(["k2", "k3"])
    await second.replica.close()
  })

  it("[C18] a large import while open is written in parts; the mark moves last, covering every row", async () => {
    const store = new DexieLocalStore("bulk", { indexedDB: new IDBFactory(), IDBKeyRange })
    const h = harness(store)
    await h.replica.open(true)
    const other = new LoroDoc()
    migrateDoc(other)
    createProject(other, { id: "p1", name: "P", color: "#000000" })
    // Past one part of 2,000 rows; each placed after the last (no scan for the end).
    for (let i = 0; i < 2_100; i++)
      createTask(other, {
        id: `t${i}`,
        projectId: "p1",
        title: `t${i}`,
        ...(i > 0 && { position: { after: `t${i - 1}`, before: null } }),
      })
    other.commit()
    const writes = vi.spyOn(store.entities, "write")
    h.hear({ _tag: "RemoteUpdates", ws, doc: MAIN_DOC, updates: [other.export({ mode: "snapshot" })] })
    // A local edit while the parts are written: its row joins the last part.
    h.replica.handle(writeOf(1, "k1", intent("updateTask", "t3", { title: "mine" })))
    await h.replica.flush()
    expect(h.sent.filter((m) => m._tag === "Reload").length).toBeGreaterThanOrEqual(2)
    // The page reads its windows after each part: the first part of tasks is a small one, so
    // the board's first rows do not wait for 2,000 tasks to be read and written.
    const taskParts = writes.mock.calls.map(([, changes]) => changes.filter((c) => c.c === "tasks").length)
    expect(taskParts.find((n) => n > 0)).toBeLessThanOrEqual(500)
    expect(taskParts.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(2_100)
    expect(h.sent.every((m) => m._tag !== "Changes" || m.puts.length + m.gone.length <= 500)).toBe(true)
    await store.appendRemote(ws, MAIN_DOC, [other.export({ mode: "snapshot" })], 1)
    const stored = await store.loadDoc(ws, MAIN_DOC)
    const doc = new LoroDoc()
    doc.importBatch([...stored.updates.map((u) => u.bytes)])
    expect(await rowsBoard(store)).toEqual(docBoard(doc))
    expect((await store.entities.get(ws, "tasks", "t3"))?.title).toBe("mine")
    await h.replica.close()
    // Reopened at the same version (the page read the rows at their mark): nothing is read again.
    const again = harness(store)
    await again.replica.open(true, [], await store.entities.mark(ws))
    expect(again.sent.filter((m) => m._tag === "Changes" || m._tag === "Reload")).toEqual([])
    await again.replica.close()
  })

  it("[C18] a task added without a neighbour lands last in its project and a deleted task takes its comments, through moves, deletes and other devices' edits", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.nat(9), fc.nat(1_000)), { minLength: 1, maxLength: 30 }), async (ops) => {
        const store = new DexieLocalStore(`ends-${Math.random()}`, { indexedDB: new IDBFactory(), IDBKeyRange })
        const other = await storeSeed(store, (d) => {
          for (const p of ["p1", "p2"]) {
            createProject(d, { id: p, name: p, color: "#000000" })
            for (let i = 0; i < 3; i++) createTask(d, { id: `${p}-s${i}`, projectId: p, title: `s${i}` })
          }
        })
        const h = harness(store)
        await h.replica.open(true)
        let seq = 0
        let made = 0
        const write = (i: Intent) => h.replica.handle(writeOf(++seq, `k${seq}`, i))
        /** The other device catches up with this one's commits, edits, and is heard. */
        const remote = (edit: (d: LoroDoc) => unknown) => {
          for (const m of h.broadcast.splice(0)) if (m._tag === "LocalCommit") other.import(m.bytes)
          const from = other.oplogVersion()
          edit(other)
          other.commit()
          h.hear({ _tag: "RemoteUpdates", ws, doc: MAIN_DOC, updates: [other.export({ mode: "update", from })] })
        }
        const projectOf = (p: number) => (p % 2 === 0 ? "p1" : "p2")
        /** Whether `d` still has the task (this device's delete may not have reached it yet). */
        const alive = (d: LoroDoc, id: string) => d.getMap("tasks").get(id) !== undefined
        const tasksOf = (doc: LoroDoc, project: string) =>
          readWorkspace(doc).tasks.filter((t) => t.projectId === project)
        for (const [op, x] of ops) {
          // The other device has what this one committed before it picks a task.
          for (const m of h.broadcast.splice(0)) if (m._tag === "LocalCommit") other.import(m.bytes)
          const project = projectOf(x)
          const some = tasksOf(other, project)
          const pick = some[x % Math.max(1, some.length)]
          if (op <= 2) {
            const id = `m${made++}`
            write(intent("createTask", { id, projectId: project, title: id }))
            await settle()
            // The document this replica holds: the new task is the last of its project.
            const doc = new LoroDoc()
            doc.import(h.replica.current!.export({ mode: "snapshot" }))
            expect(tasksOf(doc, project).at(-1)?.id).toBe(id)
          } else if (op === 3 && pick !== undefined) {
            write(intent("deleteTask", pick.id))
            await settle()
            // Its comments went with it, those made here and those heard from the other device.
            const left = Object.values(
              h.replica.current!.getMap("comments").toJSON() as Record<string, { taskId: string }>,
            )
            expect(left.filter((c) => c.taskId === pick.id)).toEqual([])
          } else if (op === 7 && pick !== undefined)
            write(intent("addComment", { id: `c${made++}`, taskId: pick.id, authorId: "m1", body: "mine" }))
          else if (op === 8 && pick !== undefined)
            remote(
              (d) =>
                alive(d, pick.id) &&
                addComment(d, { id: `c${made++}`, taskId: pick.id, authorId: "m1", body: "theirs" }),
            )
          else if (op === 4 && pick !== undefined)
            write(intent("moveTask", pick.id, { projectId: projectOf(x + 1), after: null, before: null }))
          else if (op === 5 && pick !== undefined) remote((d) => alive(d, pick.id) && deleteTask(d, pick.id))
          else if (op === 6)
            remote((d) => {
              const last = tasksOf(d, project).at(-1)?.id ?? null
              createTask(d, {
                id: `r${made++}`,
                projectId: project,
                title: "theirs",
                position: { after: last, before: null },
              })
            })
          else if (pick !== undefined)
            remote(
              (d) =>
                alive(d, pick.id) && moveTask(d, pick.id, { projectId: projectOf(x + 1), after: null, before: null }),
            )
          await settle()
        }
        await h.replica.close()
        store.close()
      }),
      { numRuns: 15 },
    )
  })

  it("[C18] adding at the end reads the task list once and deleting tasks the comments once, not at every write", async () => {
    const store = new DexieLocalStore("ends-once", { indexedDB: new IDBFactory(), IDBKeyRange })
    await storeSeed(store, (d) => {
      createProject(d, { id: "p1", name: "P", color: "#000000" })
      for (let i = 0; i < 50; i++) {
        createTask(d, { id: `s${i}`, projectId: "p1", title: `s${i}` })
        addComment(d, { id: `c${i}`, taskId: `s${i}`, authorId: "m1", body: "seeded" })
      }
    })
    const h = harness(store)
    await h.replica.open(true)
    const reads = vi.spyOn(ProjectEnds.prototype as unknown as { readAll: () => void }, "readAll")
    for (let i = 0; i < 20; i++) {
      h.replica.handle(writeOf(i + 1, `k${i}`, intent("createTask", { id: `n${i}`, projectId: "p1", title: `n${i}` })))
      await settle()
    }
    expect(reads).toHaveBeenCalledTimes(1)
    // Deleting tasks reads the comments once, and each task's comments go with it.
    const commentReads = vi.spyOn(TaskComments.prototype as unknown as { readAll: () => void }, "readAll")
    for (let i = 0; i < 10; i++) {
      h.replica.handle(writeOf(100 + i, `d${i}`, intent("deleteTask", `s${i}`)))
      await settle()
    }
    expect(commentReads).toHaveBeenCalledTimes(1)
    const comments = Object.values(h.replica.current!.getMap("comments").toJSON() as Record<string, { taskId: string }>)
    expect(comments.map((c) => c.taskId).sort()).toEqual(Array.from({ length: 40 }, (_, i) => `s${i + 10}`).sort())
    commentReads.mockRestore()
    const order = readWorkspace(h.replica.current!).tasks.map((t) => t.id)
    expect(order.slice(-20)).toEqual(Array.from({ length: 20 }, (_, i) => `n${i}`))
    reads.mockRestore()
    await h.replica.close()
    store.close()
  })

  it("the tab's own commits coming back from the server are not imported again; other devices' updates are", async () => {
    const store = new DexieLocalStore("own-echo", { indexedDB: new IDBFactory(), IDBKeyRange })
    const other = await storeSeed(store, (d) => createProject(d, { id: "p1", name: "P", color: "#000000" }))
    const h = harness(store)
    await h.replica.open(true)
    h.replica.handle(writeOf(1, "k1", intent("createTask", { id: "mine", projectId: "p1", title: "mine" })))
    for (let i = 0; i < 50 && !h.broadcast.some((m) => m._tag === "LocalCommit"); i++) await settle()
    const mine = h.broadcast.flatMap((m) => (m._tag === "LocalCommit" ? [m.bytes] : []))
    expect(mine).toHaveLength(1)
    const from = other.oplogVersion()
    createTask(other, { id: "theirs", projectId: "p1", title: "theirs" })
    other.commit()
    const theirs = other.export({ mode: "update", from })
    const imports = vi.spyOn(LoroDoc.prototype, "import")
    try {
      // The leader stored both from the server (a copy of the bytes, as a structured clone is).
      h.hear({ _tag: "RemoteUpdates", ws, doc: MAIN_DOC, updates: [new Uint8Array(mine[0]!), theirs] })
      expect(imports.mock.calls.map(([b]) => b)).toEqual([theirs])
    } finally {
      imports.mockRestore()
    }
    await settle()
    expect(
      readWorkspace(h.replica.current!)
        .tasks.map((t) => t.id)
        .sort(),
    ).toEqual(["mine", "theirs"])
    await h.replica.close()
    store.close()
  })

  describe("[C2] a new device's snapshot: sent as it arrives, then only a notice once stored", () => {
    const joined = () => {
      const server = new LoroDoc()
      migrateDoc(server)
      createProject(server, { id: "p1", name: "P", color: "#000000" })
      createTask(server, { id: "t1", projectId: "p1", title: "from the server" })
      server.commit()
      return server.export({ mode: "snapshot" })
    }
    const stores = () => new DexieLocalStore("join", { indexedDB: new IDBFactory(), IDBKeyRange })

    it("a replica that heard the snapshot does not read the store again when it is stored", async () => {
      const store = stores()
      const h = harness(store)
      await h.replica.open(true)
      const snapshot = joined()
      h.hear({ _tag: "RemoteUpdates", ws, doc: MAIN_DOC, updates: [snapshot], snapshot: 4 })
      await store.appendRemote(ws, MAIN_DOC, [snapshot], 4)
      const reads = vi.spyOn(store, "loadDoc")
      h.hear({ _tag: "SnapshotStored", ws, doc: MAIN_DOC, cursor: 4 })
      await h.replica.flush()
      await settle()
      expect(reads).not.toHaveBeenCalled()
      expect(h.index.tasks.get("t1")?.title).toBe("from the server")
      await h.replica.close()
    })

    it("a replica that read the store before the write and never heard the snapshot reads it again", async () => {
      const store = stores()
      const h = harness(store)
      // Opened after the snapshot went out: the store it read was still empty.
      await h.replica.open(true)
      expect(h.index.tasks.size).toBe(0)
      await store.appendRemote(ws, MAIN_DOC, [joined()], 4)
      const reads = vi.spyOn(store, "loadDoc")
      h.hear({ _tag: "SnapshotStored", ws, doc: MAIN_DOC, cursor: 4 })
      await vi.waitFor(() => expect(h.index.tasks.get("t1")?.title).toBe("from the server"))
      expect(reads).toHaveBeenCalledTimes(1)
      await h.replica.close()
    })

    it("a notice heard while the replica opens is acted on once it has opened", async () => {
      const store = stores()
      const h = harness(store)
      // The replica reads the (still empty) store; the snapshot is written and its notice
      // heard before the replica has finished opening.
      const reads = vi.spyOn(store, "loadDoc")
      const opening = h.replica.open(true)
      await vi.waitFor(() => expect(reads).toHaveBeenCalledTimes(1))
      await reads.mock.results[0]!.value
      await store.appendRemote(ws, MAIN_DOC, [joined()], 4)
      h.hear({ _tag: "SnapshotStored", ws, doc: MAIN_DOC, cursor: 4 })
      await opening
      await vi.waitFor(() => expect(h.index.tasks.get("t1")?.title).toBe("from the server"))
      expect(reads).toHaveBeenCalledTimes(2)
      await h.replica.close()
    })
  })
})
