import { join } from "node:path"
import {
  COMMENT_BODY_MAX,
  MEMBER_NAME_MAX,
  PROJECT_NAME_MAX,
  TASK_DESCRIPTION_MAX,
  TASK_TITLE_MAX,
} from "@vibestack/schema"
import type { Page } from "playwright-core"
import { describe, expect, it } from "vitest"
import { resultsDir } from "./harness.js"
import { addTask, appServerPerFile, createWorkspace, mintLink, poll, taskRow, taskTitles } from "./serverHarness.js"
import { hintOf, n, uploaded } from "./uiHarness.js"

/**
 * [U1] Every input the schema can refuse is checked where the user types: the limit is shown
 * near it, it says why it cannot be saved, and nothing refused is ever shown as saved. Each
 * check reloads: what the page shows afterwards is what was saved.
 */
const app = appServerPerFile()
const errors: Array<string> = []

/** A registered workspace with project "Plan" and task "Short"; uncaught page errors are collected. */
const board = async (name: string): Promise<Page> => {
  const ctx = await app.browser.newContext()
  const page = await createWorkspace(ctx, app.server.url, name, "Plan")
  page.on("pageerror", (e) => errors.push(e.message))
  await addTask(page, "Plan", "Short")
  await expect.poll(() => taskTitles(page), poll).toEqual(["Short"])
  return page
}

const reloadSaved = async (page: Page): Promise<void> => {
  await expect.poll(() => uploaded(page), poll).toBe("All changes uploaded")
  await page.reload()
  await expect.poll(() => taskTitles(page), poll).not.toEqual([])
}

describe("[U1] input limits", () => {
  it("[U1] an over-limit task title is refused where it is typed, never shown as saved, and the saved one stays", async () => {
    const page = await board("Limits title")
    const title = page.getByLabel("Task title")
    // Close to the limit: the counter shows, the title still saves.
    const near = "n".repeat(TASK_TITLE_MAX - 20)
    await title.fill(near)
    await expect.poll(() => hintOf(title), poll).toContain(`${n(near.length)} / ${n(TASK_TITLE_MAX)}`)
    await title.press("Enter")
    await expect.poll(() => taskTitles(page), poll).toEqual([near])

    const long = "L".repeat(TASK_TITLE_MAX + 12)
    await title.fill(long)
    await title.press("Enter")
    await expect.poll(() => hintOf(title), poll).toContain("Not saved")
    expect(await hintOf(title)).toContain(`limit is ${n(TASK_TITLE_MAX)}`)
    expect(await title.getAttribute("aria-invalid")).toBe("true")
    await page.screenshot({ path: join(resultsDir, "title-too-long.png") })
    // Escape goes back to the saved title and the message goes.
    await title.press("Escape")
    await expect.poll(() => taskTitles(page), poll).toEqual([near])
    expect(await title.getAttribute("aria-invalid")).not.toBe("true")

    await title.fill(long)
    await title.blur()
    await expect.poll(() => hintOf(title), poll).toContain("Not saved")
    await reloadSaved(page)
    expect(await taskTitles(page)).toEqual([near])
    expect(errors.filter((e) => e.includes("InvalidWrite"))).toEqual([])
    await page.context().close()
  })

  it("[U1] a blank title is refused with a message, not silently reverted", async () => {
    const page = await board("Limits blank")
    const title = page.getByLabel("Task title")
    await title.fill("   ")
    await title.press("Enter")
    await expect.poll(() => hintOf(title), poll).toContain("needs a title")
    expect(await title.getAttribute("aria-invalid")).toBe("true")
    await reloadSaved(page)
    expect(await taskTitles(page)).toEqual(["Short"])
    await page.context().close()
  })

  it("[U1] adding a task with a 10,000-character title says why, adds nothing, and keeps the typed text", async () => {
    const page = await board("Limits new task")
    const input = page.getByLabel("New task in Plan")
    const long = "x".repeat(10_000)
    await input.fill(long)
    await page.getByRole("button", { name: "Add task" }).click()
    await expect.poll(() => hintOf(input), poll).toContain("Not saved")
    expect(await hintOf(input)).toContain(`limit is ${n(TASK_TITLE_MAX)}`)
    expect(await input.inputValue()).toBe(long)
    // A blank new task says so too.
    await input.fill("  ")
    await page.getByRole("button", { name: "Add task" }).click()
    await expect.poll(() => hintOf(input), poll).toContain("needs a title")
    await reloadSaved(page)
    expect(await taskTitles(page)).toEqual(["Short"])
    await page.context().close()
  })

  it("[U1] a 166k paste into the description is refused with a message and the field keeps the saved text; 100,000 is saved", async () => {
    const page = await board("Limits description")
    await page.getByRole("button", { name: "Details" }).click()
    const description = page.getByLabel("Description")
    await description.fill("kept")
    await expect.poll(() => uploaded(page), poll).toBe("All changes uploaded")

    await description.fill("p".repeat(166_000))
    await expect.poll(() => hintOf(description), poll).toContain("Not saved")
    expect(await hintOf(description)).toContain(`limit is ${n(TASK_DESCRIPTION_MAX)}`)
    expect(await description.inputValue()).toBe("kept")
    await page.screenshot({ path: join(resultsDir, "description-too-long.png") })
    await reloadSaved(page)
    await page.getByRole("button", { name: "Details" }).click()
    expect(await page.getByLabel("Description").inputValue()).toBe("kept")

    // Exactly at the limit: accepted and saved, the counter says so.
    const full = "f".repeat(TASK_DESCRIPTION_MAX)
    await page.getByLabel("Description").fill(full)
    await expect
      .poll(() => hintOf(page.getByLabel("Description")), poll)
      .toContain(`${n(TASK_DESCRIPTION_MAX)} / ${n(TASK_DESCRIPTION_MAX)}`)
    expect(await hintOf(page.getByLabel("Description"))).not.toContain("Not saved")
    await reloadSaved(page)
    await page.getByRole("button", { name: "Details" }).click()
    expect((await page.getByLabel("Description").inputValue()).length).toBe(TASK_DESCRIPTION_MAX)
    await page.context().close()
  })

  it("[U1] every keystroke in the description is kept while another device's edits keep arriving", async () => {
    const page = await board("Typing under changes")
    const link = await mintLink(page, "editor", "Other device")
    await page.getByRole("dialog").getByRole("button", { name: "Close" }).click()
    await addTask(page, "Plan", "Busy")
    const other = await (await app.browser.newContext()).newPage()
    await other.goto(link)
    await expect.poll(() => taskTitles(other), poll).toEqual(["Short", "Busy"])
    // The other device changes a task status after status while this one types: every change
    // re-renders this board (the worker's changes render in a transition) mid-typing.
    let typing = true
    const churn = (async () => {
      const statuses = ["in_progress", "todo", "in_review", "done"] as const
      for (let i = 0; typing; i++)
        await taskRow(other, "Busy")
          .getByLabel("Status")
          .selectOption(statuses[i % statuses.length]!)
    })()
    await expect.poll(() => taskRow(page, "Busy").getByLabel("Status").inputValue(), poll).not.toBe("todo")
    await taskRow(page, "Short").getByRole("button", { name: "Details" }).click()
    const typed = "Every keystroke counts, even while the board keeps changing under it. ".repeat(3)
    await page.getByLabel("Description").pressSequentially(typed)
    typing = false
    await churn
    expect(await page.getByLabel("Description").inputValue()).toBe(typed)
    await reloadSaved(page)
    await taskRow(page, "Short").getByRole("button", { name: "Details" }).click()
    expect(await page.getByLabel("Description").inputValue()).toBe(typed)
    await other.context().close()
    await page.context().close()
  })

  it("[U1] keys typed just before the tab closes are kept (journaled before they leave for the worker after the frame)", async () => {
    const page = await board("Closed while typing")
    const url = page.url()
    await taskRow(page, "Short").getByRole("button", { name: "Details" }).click()
    const field = page.getByLabel("Description")
    await field.click()
    // A key's intent waits for the page's next frame before it goes to the document worker
    // (`afterPaint`; a timer 100 ms later if no frame comes). Here no frame comes (the tab is
    // going away): the keys are still on the page when it closes, never stored by the worker,
    // and the next open replays them from the journal.
    await page.evaluate(() => {
      window.requestAnimationFrame = () => 0
    })
    await field.pressSequentially("kept")
    await page.close({ runBeforeUnload: false })
    const again = await page.context().newPage()
    await again.goto(url)
    await expect.poll(() => taskTitles(again), poll).toEqual(["Short"])
    await taskRow(again, "Short").getByRole("button", { name: "Details" }).click()
    await expect.poll(() => again.getByLabel("Description").inputValue(), poll).toBe("kept")
    await again.context().close()
  })

  it("[U1] comment, project and person names: over the limit or blank is refused with a message", async () => {
    const page = await board("Limits others")
    // Comment.
    await page.getByRole("button", { name: "Details" }).click()
    const comment = page.getByLabel("Add a comment")
    await comment.fill("c".repeat(COMMENT_BODY_MAX + 1))
    await page.getByRole("button", { name: "Comment", exact: true }).click()
    await expect.poll(() => hintOf(comment), poll).toContain(`limit is ${n(COMMENT_BODY_MAX)}`)
    expect(await page.locator(".comments li").count()).toBe(0)
    await comment.fill("   ")
    await page.getByRole("button", { name: "Comment", exact: true }).click()
    await expect.poll(() => hintOf(comment), poll).toContain("empty")
    await comment.fill("A fine comment")
    await page.getByRole("button", { name: "Comment", exact: true }).click()
    await expect.poll(() => page.locator(".comments li").count(), poll).toBe(1)

    // New project.
    const project = page.getByLabel("New project")
    await project.fill("P".repeat(PROJECT_NAME_MAX + 1))
    await page.getByRole("button", { name: "Add project" }).click()
    await expect.poll(() => hintOf(project), poll).toContain(`limit is ${n(PROJECT_NAME_MAX)}`)
    expect(await page.locator("section.project").count()).toBe(1)

    // Renaming a project.
    await page.getByRole("button", { name: "Rename project Plan" }).click()
    const projectName = page.getByLabel("Project name")
    await projectName.fill("")
    await projectName.press("Enter")
    await expect.poll(() => hintOf(projectName), poll).toContain("needs a name")
    await projectName.fill("Plan B")
    await projectName.press("Enter")
    await expect.poll(() => page.getByRole("heading", { name: "Plan B" }).count(), poll).toBe(1)

    // People (members: the names tasks are assigned to).
    await page.getByRole("button", { name: "People" }).click()
    const people = page.getByRole("dialog", { name: "People" })
    const person = people.getByLabel("New person")
    await person.fill("M".repeat(MEMBER_NAME_MAX + 1))
    await people.getByRole("button", { name: "Add person" }).click()
    await expect.poll(() => hintOf(person), poll).toContain(`limit is ${n(MEMBER_NAME_MAX)}`)
    await person.fill("Ada")
    await people.getByRole("button", { name: "Add person" }).click()
    const ada = people.getByLabel("Name of Ada")
    await ada.waitFor({ timeout: poll.timeout })
    await ada.fill(" ")
    await ada.press("Enter")
    await expect.poll(() => hintOf(ada), poll).toContain("needs a name")
    await people.getByRole("button", { name: "Close" }).click()
    await expect
      .poll(() => page.getByLabel("Assignee").locator("option").allTextContents(), poll)
      .toEqual(["Unassigned", "Ada"])

    await reloadSaved(page)
    await expect.poll(() => page.getByRole("heading", { name: "Plan B" }).count(), poll).toBe(1)
    expect(await page.locator("section.project").count()).toBe(1)
    expect(errors.filter((e) => e.includes("InvalidWrite"))).toEqual([])
    await page.context().close()
  })
})
