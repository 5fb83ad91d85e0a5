import { migrateDoc } from "@vibestack/migrations"
import { createProject, createTask, MAIN_DOC, TASK_DESCRIPTION_MAX, type WorkspaceId } from "@vibestack/schema"
import { IDBFactory, IDBKeyRange } from "fake-indexeddb"
import { LoroDoc } from "loro-crdt"
import { describe, expect, it } from "vitest"
import { DexieLocalStore } from "../db/DexieLocalStore.js"
import { DocReplica } from "./DocReplica.js"
import type { DocToPage, PageToDoc } from "./docMessages.js"
import { intent } from "./intents.js"
import type { TabSync } from "./TabSync.js"
import { type DocPort, WorkspaceSession } from "./WorkspaceSession.js"

const ws = "ws_session" as WorkspaceId
const until = async (ok: () => boolean) => {
  for (let i = 0; i < 200 && !ok(); i++) await new Promise((r) => setTimeout(r, 10))
  expect(ok()).toBe(true)
}

/**
 * The page's session and the document worker's replica in one process: the port delivers
 * each message in a later task, as a worker's would.
 */
const opened = async () => {
  const store = new DexieLocalStore(`session-${Math.random()}`, { indexedDB: new IDBFactory(), IDBKeyRange })
  await store.putWorkspace({ workspaceId: ws, name: "W", serverUrl: "", token: "t", role: "master", createdAt: 1 })
  const seed = new LoroDoc()
  migrateDoc(seed)
  createProject(seed, { id: "p1", name: "P", color: "#000000" })
  createTask(seed, { id: "t1", projectId: "p1", title: "first" })
  seed.commit()
  await store.appendRemote(ws, MAIN_DOC, [seed.export({ mode: "snapshot" })], 1)
  let replica: DocReplica | undefined
  const toPage: Array<DocToPage> = []
  const port: DocPort = {
    onmessage: null,
    postMessage(m: PageToDoc) {
      setTimeout(() => {
        if (m._tag === "Open") {
          replica = new DocReplica(ws, {
            store,
            post: () => undefined,
            listen: () => () => undefined,
            emit: (out) => {
              toPage.push(out)
              setTimeout(() => port.onmessage?.({ data: out } as MessageEvent<DocToPage>), 0)
            },
          })
          void replica.open(m.canWrite, m.replay, m.since)
        } else replica?.handle(m)
      }, 0)
    },
    terminate: () => undefined,
  }
  const sync = { store, post: () => undefined } as unknown as TabSync
  const session = await WorkspaceSession.open(sync, ws, () => port)
  if (session === undefined) throw new Error("no session")
  await until(() => session.loaded && session.index.tasks.has("t1"))
  return { session, toPage }
}

describe("WorkspaceSession (the page's side of an open workspace)", () => {
  it("[U3] an edit the document worker refuses is shown, then taken back to the document's value", async () => {
    const { session, toPage } = await opened()
    const failures: Array<string> = []
    session.onWriteFailed((m) => failures.push(m))
    // The page has no rule for this field's length; the schema helper in the worker refuses it.
    const tooLong = "x".repeat(TASK_DESCRIPTION_MAX + 1)
    session.write(intent("setTaskDescription", "t1", tooLong))
    expect(session.index.tasks.get("t1")?.description).toBe(tooLong) // shown at once
    await session.flush()
    await until(() => failures.length === 1)
    await until(() => session.index.tasks.get("t1")?.description === "")
    // Order on the wire: refused, the entity as the document has it, then applied.
    const tags = toPage.map((m) => m._tag).filter((t) => t === "WriteFailed" || t === "Changes" || t === "Applied")
    expect(tags.slice(-3)).toEqual(["WriteFailed", "Changes", "Applied"])
    // A later edit of the same field is kept.
    session.write(intent("setTaskDescription", "t1", "kept"))
    await session.flush()
    await until(() => session.index.tasks.get("t1")?.description === "kept")
    session.close()
  })

  it("an edit re-renders the board once, at once: the worker's answer confirms what it shows (its commit time aside) and moves the status alone", async () => {
    const { session } = await opened()
    // A first edit, answered: the undo button appears with it (a render of its own).
    session.write(intent("updateTask", "t1", { title: "first edit" }))
    await session.flush()
    await new Promise((r) => setTimeout(r, 200)) // the opening's reads and that answer are done
    let board = 0
    let saves = 0
    session.subscribe(() => board++)
    session.subscribeSaves(() => saves++)
    session.write(intent("updateTask", "t1", { title: "renamed" }))
    expect([board, saves]).toEqual([1, 1])
    await session.flush()
    await new Promise((r) => setTimeout(r, 400))
    // The worker's answer (the entity as committed, applied, unsaved 1 then 0, rows) shows
    // nothing new: no second board render (one per keystroke's answer kept typing busy).
    expect(board).toBe(1)
    expect(saves).toBeGreaterThanOrEqual(2)
    expect(session.index.tasks.get("t1")?.title).toBe("renamed")
    // Out of `unsaved`, into `stored`: the status bar counts it until its next outbox count.
    expect(session.unsaved).toBe(0)
    expect(session.stored).toBe(2)
    session.close()
  })

  it("an answer that differs from what the page shows re-renders the board", async () => {
    const { session } = await opened()
    await new Promise((r) => setTimeout(r, 200))
    let board = 0
    session.subscribe(() => board++)
    // A description is shown by the panel that edits it (its own state): no board render for
    // the keystroke itself.
    session.write(intent("setTaskDescription", "t1", "x".repeat(TASK_DESCRIPTION_MAX + 1)))
    expect(board).toBe(0)
    // Refused in the worker: its answer takes the text back, and that shows.
    await session.flush()
    await until(() => session.index.tasks.get("t1")?.description === "")
    await until(() => board >= 1)
    session.close()
  })
})
