import { join } from "node:path"
import type { Page } from "playwright-core"
import { describe, expect, it } from "vitest"
import { resultsDir } from "./harness.js"
import { addTask, appServerPerFile, createWorkspace, mintLink, poll, taskRow, taskTitles } from "./serverHarness.js"
import { uploaded } from "./uiHarness.js"

/**
 * [U4] Destructive actions are safe: a delete offers undo for several seconds, and Ctrl+Z /
 * Ctrl+Shift+Z (and the Undo / Redo buttons) undo and redo this device's own edits through
 * Loro's UndoManager, across the board and the task panel. Two devices: the undo is an
 * ordinary change that syncs.
 */
const app = appServerPerFile()

const pair = async (name: string): Promise<{ a: Page; b: Page; close: () => Promise<void> }> => {
  const ctxA = await app.browser.newContext()
  const ctxB = await app.browser.newContext()
  const a = await createWorkspace(ctxA, app.server.url, name, "Plan")
  const link = await mintLink(a, "editor", "B")
  await a.getByRole("dialog").getByRole("button", { name: "Close" }).click()
  const b = await ctxB.newPage()
  await b.goto(link)
  await expect.poll(() => b.getByRole("heading", { name: "Plan" }).count(), poll).toBe(1)
  return { a, b, close: () => Promise.all([ctxA.close(), ctxB.close()]).then(() => undefined) }
}

const projects = (p: Page) => p.locator("section.project h2").allTextContents()
const notices = (p: Page) => p.getByRole("region", { name: "Notifications" })

describe("[U4] undo", () => {
  it("[U4] deleting a task offers undo; undo brings it back on both devices", async () => {
    const { a, b, close } = await pair("Undo task")
    await addTask(a, "Plan", "Keep")
    await addTask(a, "Plan", "Doomed")
    await taskRow(a, "Doomed").getByLabel("Status").selectOption("in_review")
    await expect.poll(() => taskTitles(b), poll).toEqual(["Keep", "Doomed"])

    await taskRow(a, "Doomed").getByRole("button", { name: "Delete task" }).click()
    await expect.poll(() => taskTitles(a), poll).toEqual(["Keep"])
    await expect.poll(() => taskTitles(b), poll).toEqual(["Keep"])
    await expect.poll(() => notices(a).textContent(), poll).toContain("Deleted task “Doomed”")
    await a.screenshot({ path: join(resultsDir, "undo-toast.png") })
    await notices(a).getByRole("button", { name: "Undo" }).click()
    await expect.poll(() => taskTitles(a), poll).toEqual(["Keep", "Doomed"])
    expect(await taskRow(a, "Doomed").getByLabel("Status").inputValue()).toBe("in_review")
    await expect.poll(() => taskTitles(b), poll).toEqual(["Keep", "Doomed"])
    await expect.poll(() => taskRow(b, "Doomed").getByLabel("Status").inputValue(), poll).toBe("in_review")
    await expect.poll(() => uploaded(a), poll).toBe("All changes uploaded")
    await close()
  })

  it("[U4] deleting a project: Ctrl+Z restores it with its tasks and comments, Ctrl+Shift+Z deletes it again", async () => {
    const { a, b, close } = await pair("Undo project")
    await addTask(a, "Plan", "One")
    await addTask(a, "Plan", "Two")
    await taskRow(a, "One").getByRole("button", { name: "Details" }).click()
    await a.getByLabel("Add a comment").fill("Remember me")
    await a.getByRole("button", { name: "Comment", exact: true }).click()
    await expect.poll(() => a.locator(".comments li").count(), poll).toBe(1)
    await a.getByRole("button", { name: "Close details" }).click()
    await expect.poll(() => taskTitles(b), poll).toEqual(["One", "Two"])

    await a.getByRole("button", { name: "Delete project Plan" }).click()
    await expect.poll(() => projects(a), poll).toEqual([])
    await expect.poll(() => projects(b), poll).toEqual([])
    // Focus is not in a text field: the board's undo takes the shortcut.
    await a.locator("body").click({ position: { x: 5, y: 5 } })
    await a.keyboard.press("Control+z")
    await expect.poll(() => projects(a), poll).toEqual(["Plan"])
    expect(await taskTitles(a)).toEqual(["One", "Two"])
    await taskRow(a, "One").getByRole("button", { name: "Details" }).click()
    await expect.poll(() => a.locator(".comments li").textContent(), poll).toContain("Remember me")
    await expect.poll(() => taskTitles(b), poll).toEqual(["One", "Two"])

    await a.getByRole("button", { name: "Close details" }).click()
    await a.keyboard.press("Control+Shift+z")
    await expect.poll(() => projects(a), poll).toEqual([])
    await expect.poll(() => projects(b), poll).toEqual([])
    await a.getByRole("button", { name: "Undo", exact: true }).first().click()
    await expect.poll(() => projects(b), poll).toEqual(["Plan"])
    await close()
  })

  it("[U4] undo walks back the task panel and the board in order; a text field keeps its own Ctrl+Z", async () => {
    const { a, close } = await pair("Undo across")
    await addTask(a, "Plan", "Task")
    await taskRow(a, "Task").getByRole("button", { name: "Details" }).click()
    const description = a.getByLabel("Description")
    await description.fill("first words")
    await description.blur()
    await taskRow(a, "Task").getByLabel("Priority").selectOption("high")
    // In the new-task field Ctrl+Z is the field's own: the board is untouched.
    await a.getByLabel("New task in Plan").fill("draft")
    await a.getByLabel("New task in Plan").press("Control+z")
    expect(await taskRow(a, "Task").getByLabel("Priority").inputValue()).toBe("high")

    await a.getByRole("button", { name: "Undo", exact: true }).first().click()
    await expect.poll(() => taskRow(a, "Task").getByLabel("Priority").inputValue(), poll).toBe("none")
    expect(await description.inputValue()).toBe("first words")
    await a.getByRole("button", { name: "Undo", exact: true }).first().click()
    await expect.poll(() => description.inputValue(), poll).toBe("")
    await a.getByRole("button", { name: "Redo", exact: true }).click()
    await expect.poll(() => description.inputValue(), poll).toBe("first words")
    await expect.poll(() => uploaded(a), poll).toBe("All changes uploaded")
    await a.reload()
    await taskRow(a, "Task").getByRole("button", { name: "Details" }).click()
    await expect.poll(() => a.getByLabel("Description").inputValue(), poll).toBe("first words")
    expect(await taskRow(a, "Task").getByLabel("Priority").inputValue()).toBe("none")
    await close()
  })
})
