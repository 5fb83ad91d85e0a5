import { statSync } from "node:fs"
import { join } from "node:path"
import { CURRENT_DOC_VERSION } from "@vibestack/migrations"
import { createProject, createTask, MAIN_DOC, metaMap, SCHEMA_VERSION_KEY } from "@vibestack/schema"
import { LoroDoc } from "loro-crdt"
import type { Request } from "playwright-core"
import { describe, expect, it } from "vitest"
import { resultsDir } from "./harness.js"
import { addTask, appServerPerFile, createWorkspace, mintLink, poll, taskRow, taskTitles } from "./serverHarness.js"

/**
 * The built app against the real server (embedded Postgres), two browser contexts = two
 * devices. Everything goes through the server: contexts share no storage or channel.
 */
const app = appServerPerFile()

describe("two devices through the real server", () => {
  it("register a workspace, share an editor link, see each other's edits", async () => {
    const ctxA = await app.browser.newContext()
    const ctxB = await app.browser.newContext()
    const a = await createWorkspace(ctxA, app.server.url, "Team Live", "Launch")
    const link = await mintLink(a, "editor", "Bob's laptop")
    await a.screenshot({ path: join(resultsDir, "share-dialog.png") })
    await a.getByRole("dialog").getByRole("button", { name: "Close" }).click()

    const b = await ctxB.newPage()
    await b.goto(link)
    await b.waitForURL(/\/w\//)
    // B starts with nothing local: the project arrives from the server.
    await expect.poll(() => b.getByRole("heading", { name: "Launch" }).count(), poll).toBe(1)

    await addTask(a, "Launch", "From A")
    await expect.poll(() => taskTitles(b), poll).toEqual(["From A"])
    await addTask(b, "Launch", "From B")
    await expect.poll(() => taskTitles(a), poll).toEqual(["From A", "From B"])
    await taskRow(b, "From A").getByLabel("Status").selectOption("done")
    await expect.poll(() => taskRow(a, "From A").getByLabel("Status").inputValue(), poll).toBe("done")
    await expect.poll(() => a.getByTestId("pending").textContent(), poll).toBe("All changes uploaded")
    await a.screenshot({ path: join(resultsDir, "board.png") })

    // History: every version is browsable, read-only, from the tab's own document.
    await a.getByRole("button", { name: "History" }).click()
    const history = a.getByRole("dialog", { name: "History" })
    const buttons = history.locator("[data-version-index]")
    // The versions are listed by the tab's document worker: wait for its answer.
    await buttons.first().waitFor({ timeout: poll.timeout })
    const seen: Array<string> = []
    for (let i = 0; i < (await buttons.count()); i++) {
      await buttons.nth(i).click()
      await expect.poll(() => buttons.nth(i).getAttribute("aria-pressed"), poll).toBe("true")
      seen.push((await history.getByTestId("history-task").allTextContents()).join(" | "))
    }
    expect(seen[0]).toContain("From A — done")
    expect(seen.some((t) => t.includes("From A — todo") && !t.includes("From B"))).toBe(true)
    await a.screenshot({ path: join(resultsDir, "history.png") })
    await history.getByRole("button", { name: "Close" }).click()
    await ctxA.close()
    await ctxB.close()
  })

  it("a joining device opens the board without waiting for the workspace's name, which follows", async () => {
    const ctxA = await app.browser.newContext()
    const ctxB = await app.browser.newContext()
    const a = await createWorkspace(ctxA, app.server.url, "Named Later", "Alpha")
    const link = await mintLink(a, "editor", "Slow network")
    const b = await ctxB.newPage()
    // The join page asks the server for the workspace's name: that answer is held back.
    const asked: Array<Request> = []
    let release = () => {}
    const held = new Promise<void>((resolve) => (release = resolve))
    await b.route(/\/api\/v1\/workspaces\/[^/?#]+$/, async (route) => {
      if (route.request().method() !== "GET") return route.continue()
      asked.push(route.request())
      await held
      await route.continue().catch(() => undefined)
    })
    await b.goto(link)
    await expect.poll(() => b.getByRole("heading", { name: "Alpha" }).count(), poll).toBe(1)
    // The board is up while the name is still being asked for: the page did not wait for the
    // request to give up (it did, after 3 s, before the board opened).
    expect(asked.length).toBeGreaterThan(0)
    expect(asked.map((r) => r.failure())).toEqual(asked.map(() => null))
    expect(await b.getByRole("heading", { level: 1 }).textContent()).toBe("Shared workspace")
    release()
    await expect.poll(() => b.getByRole("heading", { level: 1 }).textContent(), poll).toBe("Named Later")
    await ctxA.close()
    await ctxB.close()
  })

  it("viewer links are read-only (and the server says 403), a revoked editor link stops with a clear message", async () => {
    const ctxA = await app.browser.newContext()
    const a = await createWorkspace(ctxA, app.server.url, "Team Share", "Docs")
    await addTask(a, "Docs", "Read me")
    const viewerLink = await mintLink(a, "viewer", "Viewer V")
    const editorLink = await mintLink(a, "editor", "Editor E")

    const ctxV = await app.browser.newContext()
    const v = await ctxV.newPage()
    await v.goto(viewerLink)
    await expect.poll(() => taskTitles(v), poll).toEqual(["Read me"])
    expect(await v.getByLabel("Task title").isDisabled()).toBe(true)
    expect(await v.getByLabel("Status").isDisabled()).toBe(true)
    expect(await v.getByLabel("Delete task").isDisabled()).toBe(true)
    expect(await v.getByLabel("New project").count()).toBe(0)
    expect(await v.getByRole("button", { name: "Add task" }).count()).toBe(0)
    expect(await v.getByRole("button", { name: "Share" }).count()).toBe(0)
    // Forcing a push with the viewer's token: the server refuses it whatever the UI does.
    const url = new URL(viewerLink)
    const ws = url.pathname.split("/").at(-1) ?? ""
    const token = new URLSearchParams(url.hash.slice(1)).get("token") ?? ""
    const forged = new LoroDoc()
    forged.getMap("vandalism").set("x", 1)
    const res = await fetch(`${app.server.url}/api/v1/workspaces/${ws}/docs/${MAIN_DOC}/updates`, {
      method: "POST",
      headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/octet-stream" },
      body: forged.export({ mode: "update" }).slice().buffer as ArrayBuffer,
    })
    expect(res.status).toBe(403)

    const ctxE = await app.browser.newContext()
    const e = await ctxE.newPage()
    await e.goto(editorLink)
    await expect.poll(() => taskTitles(e), poll).toEqual(["Read me"])
    await addTask(e, "Docs", "Editor was here")
    await expect.poll(() => taskTitles(a), poll).toEqual(["Read me", "Editor was here"])
    await expect.poll(() => taskTitles(v), poll).toEqual(["Read me", "Editor was here"])

    // The master revokes the editor's link; the editor's next contact with the server fails for good.
    await a
      .getByRole("row", { name: /Editor E/ })
      .getByRole("button", { name: "Revoke" })
      .click()
    await expect.poll(() => a.getByRole("row", { name: /Editor E/ }).textContent(), poll).toContain("revoked")
    // Its next poll or push learns it (whichever comes first; the form goes once it knows).
    await e
      .getByLabel("New task in Docs")
      .fill("After revocation", { timeout: 2_000 })
      .then(() => e.getByRole("button", { name: "Add task" }).click({ timeout: 2_000 }))
      .catch(() => undefined)
    await expect
      .poll(() => e.getByTestId("sync-fatal").textContent(), { ...poll, timeout: 45_000 })
      .toContain("revoked")
    await expect.poll(() => e.getByLabel("Task title").first().isDisabled(), poll).toBe(true)
    await e.screenshot({ path: join(resultsDir, "revoked-editor.png") })
    expect(await taskTitles(a)).toEqual(["Read me", "Editor was here"])
    await Promise.all([ctxA.close(), ctxV.close(), ctxE.close()])
  })

  // Known intermittent failure on loaded CI machines (the joined page sometimes never shows the
  // task; cause not yet found, see the issue #7 note): retried, never skipped, every attempt printed.
  it("a document saved by a newer app version opens read-only with the message", { retry: 2 }, async () => {
    // Seeded through the API as a newer client would have written it.
    const reg = await fetch(`${app.server.url}/api/v1/workspaces`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ name: "From the future" }),
    })
    expect(reg.status).toBe(201)
    const { workspaceId, masterToken } = (await reg.json()) as { workspaceId: string; masterToken: string }
    const doc = new LoroDoc()
    const project = createProject(doc, { name: "Future", color: "#4f7cff" })
    createTask(doc, { projectId: project.id, title: "Written by v-next" })
    metaMap(doc).set(SCHEMA_VERSION_KEY, CURRENT_DOC_VERSION + 1)
    doc.commit()
    const push = await fetch(`${app.server.url}/api/v1/workspaces/${workspaceId}/docs/${MAIN_DOC}/updates`, {
      method: "POST",
      headers: { Authorization: `Bearer ${masterToken}`, "Content-Type": "application/octet-stream" },
      body: doc.export({ mode: "update" }).slice().buffer as ArrayBuffer,
    })
    expect(push.status).toBe(200)

    const ctx = await app.browser.newContext()
    const p = await ctx.newPage()
    await p.goto(`${app.server.url}/join/${workspaceId}#token=${masterToken}`)
    await expect.poll(() => taskTitles(p), poll).toEqual(["Written by v-next"])
    await expect.poll(() => p.getByTestId("too-new").textContent(), poll).toContain("newer version of VibeStack")
    expect(await p.getByLabel("Task title").isDisabled()).toBe(true)
    expect(await p.getByLabel("New project").count()).toBe(0)
    await ctx.close()
  })

  // Intermittent on loaded CI machines like the too-new test above: retried, never skipped.
  it("master backs up, downloads the file, and restores the board to the backup", { retry: 2 }, async () => {
    const ctx = await app.browser.newContext({ acceptDownloads: true })
    const a = await createWorkspace(ctx, app.server.url, "Team Backup", "Ops")
    await addTask(a, "Ops", "Keep me")
    await expect.poll(() => a.getByTestId("pending").textContent(), poll).toBe("All changes uploaded")
    await a.getByRole("button", { name: "Backups" }).click()
    const dialog = a.getByRole("dialog", { name: "Backups" })
    await dialog.getByRole("button", { name: "Back up now" }).click()
    await expect.poll(() => dialog.getByTestId("backup-row").count(), poll).toBe(1)
    const [download] = await Promise.all([
      a.waitForEvent("download"),
      dialog.getByRole("button", { name: "Download" }).click(),
    ])
    const file = join(resultsDir, "backup.vsbackup")
    await download.saveAs(file)
    expect(statSync(file).size).toBeGreaterThan(0)
    await a.screenshot({ path: join(resultsDir, "backups-dialog.png") })
    await dialog.getByRole("button", { name: "Close" }).click()

    // Changes after the backup, synced; then the master restores.
    await taskRow(a, "Keep me").getByLabel("Status").selectOption("done")
    await addTask(a, "Ops", "After the backup")
    await expect.poll(() => a.getByTestId("pending").textContent(), poll).toBe("All changes uploaded")
    await a.getByRole("button", { name: "Backups" }).click()
    await dialog.getByRole("button", { name: "Restore…" }).click()
    await dialog.getByRole("button", { name: "Confirm restore" }).click()
    await expect.poll(() => dialog.getByTestId("backup-notice").textContent(), poll).toContain("Restored")
    // [#18] A safety backup of the state just before the restore was taken first.
    expect(await dialog.getByTestId("backup-notice").textContent()).toContain("safety backup")
    await expect.poll(() => dialog.getByTestId("backup-row").count(), poll).toBe(2)
    await dialog.getByRole("button", { name: "Close" }).click()
    // The revert arrives like any other server update.
    await expect.poll(() => taskTitles(a), poll).toEqual(["Keep me"])
    await expect.poll(() => taskRow(a, "Keep me").getByLabel("Status").inputValue(), poll).toBe("todo")
    await ctx.close()
  })
})
