import { join } from "node:path"
import type { Page } from "playwright-core"
import { describe, expect, it } from "vitest"
import { resultsDir } from "./harness.js"
import { addTask, appServerPerFile, createWorkspace, mintLink, poll, taskRow, taskTitles } from "./serverHarness.js"

/** Offline work against the real server: the service worker, IndexedDB, and catching up after. */
const app = appServerPerFile()

const swReady = (p: Page) => p.evaluate(() => navigator.serviceWorker.ready.then(() => true))
const pending = (p: Page) => p.getByTestId("pending").textContent()

const joinedPair = async (name: string) => {
  const ctxA = await app.browser.newContext()
  const ctxB = await app.browser.newContext()
  const a = await createWorkspace(ctxA, app.server.url, name, "Plan")
  const link = await mintLink(a, "editor", "B")
  await a.getByRole("dialog").getByRole("button", { name: "Close" }).click()
  const b = await ctxB.newPage()
  await b.goto(link)
  await expect.poll(() => b.getByRole("heading", { name: "Plan" }).count(), poll).toBe(1)
  return { ctxA, ctxB, a, b }
}

describe("offline", () => {
  // Failed in CI at stops 21 and 29 ("Offline 2" missing after the second reload): writes that
  // reached the document worker while it opened ran before the ones queued earlier, so a task
  // placed after a queued one was refused. DocReplica's ordering property covers it now.
  it("reloads offline with its data, keeps offline edits across reloads, uploads them when back", async () => {
    const { ctxA, ctxB, a, b } = await joinedPair("Team Offline")
    await addTask(a, "Plan", "Before")
    await expect.poll(() => taskTitles(b), poll).toEqual(["Before"])
    expect(await swReady(a)).toBe(true)

    await ctxA.setOffline(true)
    await a.reload()
    await expect.poll(() => taskTitles(a), poll).toEqual(["Before"])
    await addTask(a, "Plan", "Offline 1")
    await addTask(a, "Plan", "Offline 2")
    await taskRow(a, "Before").getByLabel("Priority").selectOption("urgent")
    await expect.poll(() => pending(a), poll).toMatch(/waiting to upload/)
    // Still offline: a second reload keeps the unsent edits (they are in IndexedDB).
    await a.reload()
    await expect.poll(() => taskTitles(a), poll).toEqual(["Before", "Offline 1", "Offline 2"])
    await expect.poll(() => pending(a), poll).toMatch(/waiting to upload/)
    await a.screenshot({ path: join(resultsDir, "offline-board.png") })
    // No check that B has not seen them yet: Playwright's offline emulation covers pages, not
    // always the sync worker's own requests, so "A is offline" is only certain for the page.

    await ctxA.setOffline(false)
    await expect.poll(() => taskTitles(b), poll).toEqual(["Before", "Offline 1", "Offline 2"])
    await expect.poll(() => taskRow(b, "Before").getByLabel("Priority").inputValue(), poll).toBe("urgent")
    await expect.poll(() => pending(a), poll).toBe("All changes uploaded")
    await Promise.all([ctxA.close(), ctxB.close()])
  })

  it("concurrent offline edits to one task converge after both reconnect", async () => {
    const { ctxA, ctxB, a, b } = await joinedPair("Team Merge")
    await addTask(a, "Plan", "Shared")
    await expect.poll(() => taskTitles(b), poll).toEqual(["Shared"])
    await Promise.all([ctxA.setOffline(true), ctxB.setOffline(true)])

    await taskRow(a, "Shared").getByLabel("Status").selectOption("done")
    await taskRow(b, "Shared").getByLabel("Priority").selectOption("high")
    for (const [p, text] of [
      [a, "alpha from A"],
      [b, "beta from B"],
    ] as const) {
      await taskRow(p, "Shared").getByRole("button", { name: "Details" }).click()
      await p.getByLabel("Description").fill(text)
    }
    // Both rename the task: one title wins, the same on both sides.
    await taskRow(a, "Shared").getByLabel("Task title").fill("Renamed by A")
    await a.getByLabel("Task title").press("Enter")
    await taskRow(b, "Shared").getByLabel("Task title").fill("Renamed by B")
    await b.getByLabel("Task title").press("Enter")
    await expect.poll(() => pending(a), poll).toMatch(/waiting to upload/)
    await expect.poll(() => pending(b), poll).toMatch(/waiting to upload/)

    await Promise.all([ctxA.setOffline(false), ctxB.setOffline(false)])
    const view = async (p: Page) => ({
      titles: await taskTitles(p),
      status: await p.getByLabel("Status").inputValue(),
      priority: await p.getByLabel("Priority").inputValue(),
      description: await p.getByLabel("Description").inputValue(),
    })
    await expect.poll(async () => JSON.stringify(await view(a)) === JSON.stringify(await view(b)), poll).toBe(true)
    const merged = await view(a)
    expect(merged.status).toBe("done")
    expect(merged.priority).toBe("high")
    expect(merged.description).toContain("alpha from A")
    expect(merged.description).toContain("beta from B")
    expect(["Renamed by A", "Renamed by B"]).toContain(merged.titles[0])
    await expect.poll(() => pending(a), poll).toBe("All changes uploaded")
    await expect.poll(() => pending(b), poll).toBe("All changes uploaded")
    await Promise.all([ctxA.close(), ctxB.close()])
  })
})
