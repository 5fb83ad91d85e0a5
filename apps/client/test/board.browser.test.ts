import { join } from "node:path"
import type { BrowserContext, Locator, Page } from "playwright-core"
import { describe, expect, it } from "vitest"
import { seriousViolations } from "./axe.js"
import { resultsDir } from "./harness.js"
import { addTask, appServerPerFile, createWorkspace, mintLink, poll, taskRow, taskTitles } from "./serverHarness.js"
import { uploaded } from "./uiHarness.js"

/**
 * Issue #18, the board: columns per status, drag and drop (dnd-kit) and its keyboard
 * alternative, filters; people named through share links; moves reach every device and
 * concurrent moves converge.
 */
const app = appServerPerFile()

interface Pair {
  readonly a: Page
  readonly b: Page
  readonly ctxA: BrowserContext
  readonly ctxB: BrowserContext
  readonly close: () => Promise<void>
}

/** A master (A) and an editor (B) who joined through a link carrying `person`'s name, if given. */
const pair = async (name: string, person?: string): Promise<Pair> => {
  const ctxA = await app.browser.newContext()
  const ctxB = await app.browser.newContext()
  const a = await createWorkspace(ctxA, app.server.url, name, "Plan")
  if (person !== undefined) {
    await a.getByRole("button", { name: "Share" }).click()
    await a.getByRole("dialog").getByLabel("For (person's name, optional)").fill(person)
  }
  const link = await mintLink(a, "editor", `${name} link`)
  await a.getByRole("dialog").getByRole("button", { name: "Close" }).click()
  const b = await ctxB.newPage()
  await b.goto(link)
  await expect.poll(() => b.getByRole("heading", { name: "Plan" }).count(), poll).toBe(1)
  return { a, b, ctxA, ctxB, close: () => Promise.all([ctxA.close(), ctxB.close()]).then(() => undefined) }
}

const showBoard = (p: Page) => p.getByRole("button", { name: "Board", exact: true }).click()
const column = (p: Page, status: string) => p.locator(`.board-project .column[data-status="${status}"]`)
const cardsIn = (p: Page, status: string) => column(p, status).locator(".card-title").allTextContents()
const handle = (p: Page, title: string) => p.getByRole("button", { name: `Move ${title}`, exact: true })

/** A pointer drag through dnd-kit's pointer sensor: press, pass the 5 px threshold, travel, release. */
const drag = async (p: Page, from: Locator, to: Locator) => {
  const a = (await from.boundingBox())!
  const b = (await to.boundingBox())!
  await p.mouse.move(a.x + a.width / 2, a.y + a.height / 2)
  await p.mouse.down()
  await p.mouse.move(a.x + a.width / 2 + 8, a.y + a.height / 2 + 8, { steps: 4 })
  await p.mouse.move(b.x + b.width / 2, b.y + b.height / 2, { steps: 20 })
  await p.mouse.move(b.x + b.width / 2, b.y + b.height / 2 + 3, { steps: 3 })
  await p.mouse.up()
}

describe("[#18] board", () => {
  it("[U6] a card dragged across columns on device A moves on device B; within a column too; keyboard moves the same way", async () => {
    const { a, b, close } = await pair("Drag board")
    for (const t of ["One", "Two", "Three"]) await addTask(a, "Plan", t)
    await showBoard(a)
    await showBoard(b)
    await expect.poll(() => cardsIn(b, "todo"), poll).toEqual(["One", "Two", "Three"])

    // Across columns: One onto the empty In progress column.
    await drag(a, handle(a, "One"), column(a, "in_progress"))
    await expect.poll(() => cardsIn(a, "in_progress"), poll).toEqual(["One"])
    await expect.poll(() => cardsIn(b, "in_progress"), poll).toEqual(["One"])
    await expect.poll(() => cardsIn(b, "todo"), poll).toEqual(["Two", "Three"])
    // Within a column: Three dropped on Two goes before it.
    await drag(a, handle(a, "Three"), a.locator(".card", { hasText: "Two" }))
    await expect.poll(() => cardsIn(b, "todo"), poll).toEqual(["Three", "Two"])
    // The list view shows the same status.
    await a.screenshot({ path: join(resultsDir, "board-drag.png") })

    // Keyboard, dnd-kit's way: Space lifts, arrows move, Space drops. Each key waits for the
    // screen-reader announcement of the one before (a loaded machine renders the lift late).
    const announced = () =>
      b
        .locator("[id^='DndLiveRegion']")
        .allTextContents()
        .then((t) => t.join(" "))
    await handle(b, "Two").focus()
    await b.keyboard.press("Space")
    // Lifted: "Picked up Two", at once followed by "Two is over To do, at Two."
    await expect.poll(announced, poll).toMatch(/Picked up Two|Two is over/)
    await b.keyboard.press("ArrowRight")
    await expect.poll(announced, poll).toMatch(/Two is over In progress/i)
    await b.keyboard.press("Space")
    await expect.poll(() => cardsIn(a, "in_progress"), poll).toContain("Two")
    // And Alt+arrows on the title: one column left, then one step up.
    const two = b.locator(".card-title", { hasText: "Two" })
    await two.focus()
    await b.keyboard.press("Alt+ArrowLeft")
    await expect.poll(() => cardsIn(a, "todo"), poll).toEqual(["Three", "Two"])
    await b.locator(".card-title", { hasText: "Two" }).focus()
    await b.keyboard.press("Alt+ArrowUp")
    await expect.poll(() => cardsIn(a, "todo"), poll).toEqual(["Two", "Three"])
    await expect.poll(() => uploaded(a), poll).toBe("All changes uploaded")
    await expect.poll(() => uploaded(b), poll).toBe("All changes uploaded")
    await close()
  })

  it("[#18] concurrent drags of the same card (both offline) converge on both devices", async () => {
    const { a, b, ctxA, ctxB, close } = await pair("Concurrent drag")
    for (const t of ["Card", "Other"]) await addTask(a, "Plan", t)
    await showBoard(a)
    await showBoard(b)
    await expect.poll(() => cardsIn(b, "todo"), poll).toEqual(["Card", "Other"])
    await Promise.all([ctxA.setOffline(true), ctxB.setOffline(true)])
    await drag(a, handle(a, "Card"), column(a, "in_review"))
    await drag(b, handle(b, "Card"), column(b, "done"))
    await expect.poll(() => cardsIn(a, "in_review"), poll).toEqual(["Card"])
    await expect.poll(() => cardsIn(b, "done"), poll).toEqual(["Card"])
    // Dropped at the top of the column: over its first card, so before it.
    await drag(b, handle(b, "Other"), column(b, "done").locator("h3"))
    await expect.poll(() => cardsIn(b, "done"), poll).toEqual(["Other", "Card"])
    await Promise.all([ctxA.setOffline(false), ctxB.setOffline(false)])
    const view = async (p: Page) =>
      JSON.stringify(await Promise.all(["todo", "in_review", "done"].map((s) => cardsIn(p, s))))
    await expect.poll(async () => (await view(a)) === (await view(b)) && (await view(a)), poll).toMatch(/Card/)
    const cols = JSON.parse(await view(a)) as Array<Array<string>>
    // One place for the card, never two; Other stays where B put it.
    expect(cols.flat().filter((t) => t === "Card")).toHaveLength(1)
    expect(cols[2]).toContain("Other")
    await close()
  })

  it("[#18] filters by title, assignee, priority and status in both views", async () => {
    const { a, close } = await pair("Filters")
    for (const t of ["Write docs", "Fix bug", "Ship it"]) await addTask(a, "Plan", t)
    await showBoard(a)
    await a.getByLabel("Search tasks").fill("bug")
    await expect.poll(() => cardsIn(a, "todo"), poll).toEqual(["Fix bug"])
    await a.getByRole("button", { name: "Clear filters" }).click()
    await a.locator(".card-title", { hasText: "Ship it" }).click()
    await a.getByRole("complementary", { name: "Task details" }).getByLabel("Priority").selectOption("urgent")
    await a.getByRole("button", { name: "Filters" }).click()
    await a.getByLabel("Filter by priority").selectOption("urgent")
    await expect.poll(() => cardsIn(a, "todo"), poll).toEqual(["Ship it"])
    await a.getByLabel("Filter by status").selectOption("done")
    await expect.poll(() => cardsIn(a, "todo"), poll).toEqual([])
    await a.getByRole("button", { name: "List", exact: true }).click()
    await expect.poll(() => a.locator("input.task-title").count(), poll).toBe(0)
    await a.getByRole("button", { name: "Clear filters" }).click()
    await expect.poll(() => a.locator("input.task-title").count(), poll).toBe(3)
    await close()
  })
})

describe("[#18] people", () => {
  it("[#18] a task assigned to a person named through a share link; their comment shows their name and time", async () => {
    const { a, b, close } = await pair("People link", "Bob")
    await expect.poll(() => b.getByRole("button", { name: "People · you are Bob" }).count(), poll).toBe(1)
    await addTask(a, "Plan", "Review")
    await showBoard(a)
    await showBoard(b)
    await a.locator(".card-title", { hasText: "Review" }).click()
    const panel = a.getByRole("complementary", { name: "Task details" })
    await panel.getByLabel("Assignee").selectOption({ label: "Bob" })
    await expect.poll(() => b.getByText("Assigned to Bob").count(), poll).toBe(1)
    await b.locator(".card-title", { hasText: "Review" }).click()
    const panelB = b.getByRole("complementary", { name: "Task details" })
    await panelB.getByLabel("Add a comment").fill("On it")
    await panelB.getByRole("button", { name: "Comment" }).click()
    const comment = panel.locator(".comments li", { hasText: "On it" })
    await expect.poll(() => comment.locator("strong").textContent(), poll).toBe("Bob")
    expect(await comment.locator("time").textContent()).toBe("just now")
    expect(await comment.locator("time").getAttribute("title")).toMatch(/\d/)
    await close()
  })
})

describe("[#18] history you can act on", () => {
  it("[U4] restores a task to an earlier version as a new change, names people, and the restore is undoable", async () => {
    const { a, b, close } = await pair("History restore", "Bob")
    await a.getByRole("button", { name: "People · set your name" }).click()
    await a.getByRole("dialog").getByLabel("Your name").fill("Alice")
    await a.getByRole("dialog").getByLabel("Your name").press("Enter")
    await a.getByRole("dialog").getByRole("button", { name: "Close" }).click()
    await addTask(a, "Plan", "Draft")
    await expect.poll(() => taskTitles(b), poll).toEqual(["Draft"])
    // Bob renames it on his device (his own change in the history).
    await taskRow(b, "Draft").getByLabel("Task title").fill("Final")
    await taskRow(b, "Final").getByLabel("Task title").press("Enter")
    await expect.poll(() => taskTitles(a), poll).toEqual(["Final"])
    await a.getByRole("button", { name: "History" }).click()
    const history = a.getByRole("dialog", { name: "History" })
    const versions = history.locator("[data-version-index]")
    await expect.poll(() => versions.first().textContent(), poll).toMatch(/^Bob · /)
    expect((await versions.allTextContents()).some((t) => t.startsWith("Alice · "))).toBe(true)
    // The entry where the task was still a draft: restore just that task.
    const count = await versions.count()
    let restored = false
    for (let i = 0; i < count && !restored; i++) {
      await versions.nth(i).click()
      const restore = history.getByRole("button", { name: "Restore task Draft to this version" })
      // The version's view comes from the document worker: give it time to answer.
      const offered = await restore.waitFor({ state: "attached", timeout: 10_000 }).then(
        () => true,
        () => false,
      )
      if (offered) {
        await restore.click()
        restored = true
      }
    }
    expect(restored).toBe(true)
    expect(await seriousViolations(a, ".history-dialog")).toEqual([])
    await history.getByRole("button", { name: "Close" }).click()
    await expect.poll(() => taskTitles(a), poll).toEqual(["Draft"])
    await expect.poll(() => taskTitles(b), poll).toEqual(["Draft"])
    // A new change on top: the list now starts with Alice's restore.
    await a.getByRole("button", { name: "History" }).click()
    await expect.poll(() => versions.first().textContent(), poll).toMatch(/^Alice · /)
    await history.getByRole("button", { name: "Close" }).click()
    await a.getByRole("region", { name: "Notifications" }).getByRole("button", { name: "Undo" }).click()
    await expect.poll(() => taskTitles(a), poll).toEqual(["Final"])
    await expect.poll(() => taskTitles(b), poll).toEqual(["Final"])
    await close()
  })

  it("[#18] every entry's number shows whole past 9 (10-12 were cut to 0.-2.)", async () => {
    const { a, b, close } = await pair("Many versions")
    // Two people taking turns: each edit is its own version (a person's burst merges).
    for (let i = 0; i < 6; i++) {
      await addTask(a, "Plan", `A${i}`)
      await expect.poll(async () => (await taskTitles(b)).includes(`A${i}`), poll).toBe(true)
      await addTask(b, "Plan", `B${i}`)
      await expect.poll(async () => (await taskTitles(a)).includes(`B${i}`), poll).toBe(true)
    }
    await a.getByRole("button", { name: "History" }).click()
    const numbers = a.getByRole("dialog", { name: "History" }).locator(".version-number")
    await expect.poll(() => numbers.count(), poll).toBeGreaterThanOrEqual(12)
    const shown = await numbers.allTextContents()
    expect(shown).toEqual(shown.map((_, i) => `${i + 1}.`))
    // The number is inside the list's box, not clipped at its left edge.
    const list = (await a.locator(".history-versions").boundingBox())!
    expect((await numbers.nth(11).boundingBox())!.x).toBeGreaterThanOrEqual(list.x)
    await close()
  })
})

describe("[#18] accessibility", () => {
  it("every control is in a small form (Chromium's autofill reads a changed control's form on each key, all formless ones as one)", async () => {
    const { a, close } = await pair("Forms", "Bob")
    for (const t of ["One", "Two", "Three"]) await addTask(a, "Plan", t)
    await expect.poll(() => taskTitles(a), poll).toEqual(["One", "Two", "Three"])
    /** Controls outside any form, and forms holding many controls, on the page as it is now. */
    const strays = (where: string) =>
      a.evaluate((where) => {
        const out: Array<string> = []
        const controls = [...document.querySelectorAll("input, select, textarea")] as Array<HTMLInputElement>
        for (const c of controls)
          if (c.form === null) out.push(`${where}: ${c.tagName} ${c.getAttribute("aria-label") ?? c.id} has no form`)
        if (document.querySelector("form form") !== null) out.push(`${where}: a form inside a form`)
        for (const f of document.forms)
          if (f.querySelectorAll("input, select, textarea").length > 8)
            out.push(`${where}: a form of ${f.querySelectorAll("input, select, textarea").length} controls`)
        return out
      }, where)
    const problems: Array<string> = []
    await a.getByRole("button", { name: "List", exact: true }).click()
    await a.getByRole("button", { name: "Filters" }).click()
    problems.push(...(await strays("list with filters")))
    await taskRow(a, "One").getByRole("button", { name: "Details" }).click()
    problems.push(...(await strays("task panel")))
    await a.getByRole("button", { name: "Close details" }).click()
    await showBoard(a)
    await a.locator(".card-title", { hasText: "One" }).click()
    problems.push(...(await strays("board and task panel")))
    await a.getByRole("button", { name: "Close details" }).click()
    for (const name of ["People", "History", "Share", "Backups"]) {
      await a.getByRole("button", { name }).first().click()
      await a.getByRole("dialog").waitFor()
      if (name === "Share") await a.getByRole("dialog").getByRole("button", { name: "Create link" }).click()
      if (name === "Share") await a.getByLabel("Share link").waitFor()
      problems.push(...(await strays(`${name} dialog`)))
      await a.getByRole("dialog").getByRole("button", { name: "Close" }).last().click()
    }
    expect(problems).toEqual([])
    await close()
  })

  it("[U6] board, list, task panel and dialogs: no serious or critical axe-core violations, at desktop and 360 px", async () => {
    const { a, close } = await pair("Accessible", "Bob")
    for (const t of ["One", "Two"]) await addTask(a, "Plan", t)
    const problems: Array<string> = []
    const check = async (where: string, selector?: string) => {
      for (const v of await seriousViolations(a, selector))
        problems.push(`${where}: ${v.id} (${v.impact}) ${v.help} at ${v.targets.join(", ")}`)
    }
    for (const width of [1280, 360]) {
      await a.setViewportSize({ width, height: 800 })
      await a.getByRole("button", { name: "List", exact: true }).click()
      await check(`list at ${width}`)
      await showBoard(a)
      await check(`board at ${width}`)
      await a.locator(".card-title", { hasText: "One" }).click()
      await check(`task panel at ${width}`)
      await a.getByRole("button", { name: "Close details" }).click()
      for (const name of ["People", "History", "Share", "Backups"]) {
        await a.getByRole("button", { name }).first().click()
        await a.getByRole("dialog").waitFor()
        await check(`${name} dialog at ${width}`, "dialog[open]")
        await a.getByRole("dialog").getByRole("button", { name: "Close" }).last().click()
      }
    }
    expect(problems).toEqual([])
    // 360 px: nothing wider than the screen but the board's own scrolling columns.
    expect(await a.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360)
    await close()
  })
})
