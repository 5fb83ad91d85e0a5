import { mkdirSync } from "node:fs"
import type { Browser, BrowserContext, Page, Route } from "playwright-core"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { buildClient, launchChromium, resultsDir } from "./harness.js"
import { describePagesOnFailure } from "./pagesOnFailure.js"
import { poll, startAppServer, type TestServer } from "./serverHarness.js"

/**
 * A 10,000-task workspace (SPEC C18: the board from IndexedDB rows before the document, the
 * document in a worker, writes as intents). Seeded through the sync API like `vibestack
 * workspace seed`.
 */
const TASKS = 10_000
let browser: Browser
describePagesOnFailure(() => browser)
let server: TestServer
let seeded: { readonly workspaceId: string; readonly masterToken: string }

/** A workspace seeded through the sync API, like `vibestack workspace seed`. */
const seed = async (o: { readonly tasks: number; readonly projects: number; readonly seed: number }) => {
  const path = new URL("../../server/src/cli/commands/seed.ts", import.meta.url).href
  const { seedOverHttp } = (await import(/* @vite-ignore */ path)) as {
    readonly seedOverHttp: (o: object) => Promise<{ readonly workspaceId: string; readonly masterToken: string }>
  }
  return seedOverHttp({ url: server.url, ...o })
}

beforeAll(async () => {
  mkdirSync(resultsDir, { recursive: true })
  await buildClient()
  server = await startAppServer()
  browser = await launchChromium()
  seeded = await seed({ tasks: TASKS, projects: 10, seed: 11 })
})

afterAll(async () => {
  await browser?.close()
  await server?.stop()
})

const upToDate = (p: Page) =>
  p.waitForFunction(
    () => document.querySelector('[data-testid="sync-state"]')?.textContent?.includes("Up to date"),
    null,
    {
      timeout: poll.timeout,
    },
  )
const docLoaded = (p: Page) => p.locator("main.board").getAttribute("data-doc-loaded")
/** The tasks a project header counts ("40 tasks", "50 of 967 tasks shown"). */
const headerCount = (text: string) => Number(/(\d+) tasks?$/.exec(text.replace(" shown", ""))?.[1] ?? 0)
/** Tasks the project headers count: every row is in once all are. */
const countedTasks = (p: Page) =>
  p
    .locator("section.project h2 + span.muted")
    .allTextContents()
    .then((ts) => ts.reduce((n, t) => n + headerCount(t), 0))
const firstTitle = (p: Page) => p.locator("input.task-title").first()
const titleOf = (p: Page, taskId: string) => p.locator(`li.task[data-task-id="${taskId}"] input.task-title`)

/** Renames the task through its title field (saved on Enter). */
const rename = async (p: Page, taskId: string, title: string) => {
  const input = titleOf(p, taskId)
  await input.fill(title)
  await input.press("Enter")
}

/** The whole workspace is on the board: "Up to date" is the sync leader's word, and the rows are written in parts behind it. */
const complete = async (p: Page) => {
  await firstTitle(p).waitFor({ timeout: poll.timeout })
  await upToDate(p)
  await expect.poll(() => docLoaded(p), poll).toBe("true")
  await expect.poll(() => countedTasks(p), poll).toBe(TASKS)
  await expect.poll(() => p.locator("main.board").getAttribute("data-filling"), poll).toBe("false")
}

/**
 * A joined device with the whole workspace stored in IndexedDB. With service workers blocked,
 * routes see every request; with them allowed, the app reloads offline.
 */
const joined = async (
  serviceWorkers: "allow" | "block",
): Promise<{ readonly ctx: BrowserContext; readonly page: Page }> => {
  const ctx = await browser.newContext({ serviceWorkers })
  const page = await ctx.newPage()
  await page.goto(`${server.url}/join/${seeded.workspaceId}#token=${seeded.masterToken}`)
  await complete(page)
  if (serviceWorkers === "allow") await page.evaluate(() => navigator.serviceWorker.ready.then(() => true))
  return { ctx, page }
}

describe("large workspace (10,000 tasks)", () => {
  it("[C18] reloaded offline, shows its board and takes edits that survive another reload", async () => {
    const { ctx, page } = await joined("allow")
    const id = await page.locator("li.task").first().getAttribute("data-task-id")
    await ctx.setOffline(true)
    await page.reload()
    await firstTitle(page).waitFor({ timeout: poll.timeout })
    await expect.poll(() => docLoaded(page), poll).toBe("true")
    await rename(page, id!, "Edited offline")
    await expect.poll(() => titleOf(page, id!).inputValue(), poll).toBe("Edited offline")
    await expect.poll(() => page.getByTestId("pending").textContent(), poll).toMatch(/1/)
    await page.reload()
    await expect.poll(() => titleOf(page, id!).inputValue(), poll).toBe("Edited offline")
    await ctx.setOffline(false)
    await upToDate(page)
    await ctx.close()
  })

  it("[C18] edits made before the document finished loading are kept and merged with remote ones", async () => {
    const { ctx, page } = await joined("block")
    const [mine, theirs] = await page
      .locator("li.task")
      .evaluateAll((els) => els.slice(0, 2).map((e) => e.getAttribute("data-task-id")!))
    // Hold the document worker's script: the page has its board from IndexedDB and no document.
    let release: () => void = () => undefined
    const held = new Promise<void>((r) => (release = r))
    await ctx.route("**/assets/doc.worker*", async (route: Route) => {
      await held
      await route.continue()
    })
    await page.reload()
    await firstTitle(page).waitFor({ timeout: poll.timeout })
    expect(await docLoaded(page)).toBe("false")
    await rename(page, mine!, "Mine, before the document")
    // The page shows the edit at once, still without a document.
    expect(await titleOf(page, mine!).inputValue()).toBe("Mine, before the document")
    expect(await docLoaded(page)).toBe("false")
    // Meanwhile another device renames another task.
    const device2 = await browser.newContext()
    const other = await device2.newPage()
    await other.goto(`${server.url}/join/${seeded.workspaceId}#token=${seeded.masterToken}`)
    // A new device fills its rows in parts, and a task may leave the first window while later
    // parts arrive: it edits once its document is in (the edit under test is the first device's).
    await expect.poll(() => docLoaded(other), poll).toBe("true")
    await upToDate(other)
    await complete(other)
    await rename(other, theirs!, "Theirs, meanwhile")
    await upToDate(other)
    release()
    // Both devices end with both edits (mine went through the server to device 2).
    for (const p of [page, other]) {
      await expect.poll(() => titleOf(p, mine!).inputValue(), poll).toBe("Mine, before the document")
      await expect.poll(() => titleOf(p, theirs!).inputValue(), poll).toBe("Theirs, meanwhile")
    }
    await device2.close()
    await ctx.close()
  })

  it("[U7] a long project far below the screen gets its rows once scrolled near, the first one at once", async () => {
    const { ctx, page } = await joined("block")
    await page.reload()
    await firstTitle(page).waitFor({ timeout: poll.timeout })
    const sections = page.locator("section.project")
    const last = sections.last()
    // The first project's rows are there; the last one, ten screens down, has its header only.
    expect(await sections.first().locator("li.task").count()).toBeGreaterThan(0)
    await expect.poll(() => last.locator(".rows-placeholder").count(), poll).toBe(1)
    expect(await last.locator("li.task").count()).toBe(0)
    expect(await last.locator("h2").textContent()).not.toBe("")
    await last.scrollIntoViewIfNeeded()
    await expect.poll(() => last.locator("li.task").count(), poll).toBeGreaterThan(0)
    expect(await last.locator(".rows-placeholder").count()).toBe(0)
    await ctx.close()
  })

  it("[U7] a long project's list scrolls through all its rows: the ones in view are drawn, read from IndexedDB as needed", async () => {
    const { ctx, page } = await joined("block")
    await page.reload()
    await firstTitle(page).waitFor({ timeout: poll.timeout })
    const first = page.locator("section.project").first()
    const scroller = first.locator(".task-scroll")
    const firstId = await first.locator("li.task").first().getAttribute("data-task-id")
    // The rows drawn fill the list's height (its size and a row's were measured).
    const fills = () =>
      scroller.evaluate((el) => {
        const rows = [...el.querySelectorAll<HTMLElement>("li.task:not(.pending)")]
        const bottom = Math.max(...rows.map((r) => r.getBoundingClientRect().bottom))
        return rows.length > 0 && bottom >= el.getBoundingClientRect().bottom - 1
      })
    await expect.poll(fills, poll).toBe(true)
    await scroller.evaluate((el) => el.scrollTo({ top: el.scrollHeight }))
    await expect.poll(() => first.locator("li.task.pending").count(), poll).toBe(0)
    await expect.poll(fills, poll).toBe(true)
    expect(await first.locator(`li.task[data-task-id="${firstId}"]`).count()).toBe(0)
    // Back at the top, the first task is drawn again.
    await scroller.evaluate((el) => el.scrollTo({ top: 0 }))
    await expect.poll(() => first.locator(`li.task[data-task-id="${firstId}"]`).count(), poll).toBe(1)
    await ctx.close()
  })

  it("[U7] short projects far below the screen get their rows once scrolled near too (forty of them once drew in one long task)", async () => {
    // Forty projects of about fifteen tasks: each short enough to draw whole, forty screens together.
    const short = await seed({ tasks: 600, projects: 40, seed: 12 })
    const ctx = await browser.newContext({ serviceWorkers: "block" })
    const page = await ctx.newPage()
    await page.goto(`${server.url}/join/${short.workspaceId}#token=${short.masterToken}`)
    await expect.poll(() => countedTasks(page), poll).toBe(600)
    await page.reload()
    await firstTitle(page).waitFor({ timeout: poll.timeout })
    const sections = page.locator("section.project")
    await expect.poll(() => sections.count(), poll).toBe(40)
    const last = sections.last()
    expect(await sections.first().locator("li.task").count()).toBeGreaterThan(0)
    await expect.poll(() => last.locator(".rows-placeholder").count(), poll).toBe(1)
    expect(await last.locator("li.task").count()).toBe(0)
    const rows = headerCount((await last.locator("h2 + span.muted").textContent()) ?? "")
    expect(rows).toBeGreaterThan(0)
    // The placeholder holds about the rows' height (not a screenful), so revealing moves little below it.
    const held = await last.locator(".rows-placeholder").evaluate((e) => e.getBoundingClientRect().height)
    expect(held).toBeLessThanOrEqual(rows * 44 + 1)
    await last.scrollIntoViewIfNeeded()
    await expect.poll(() => last.locator("li.task").count(), poll).toBe(rows)
    await ctx.close()
  })

  it("[C18] two tabs on a large workspace stay in step", async () => {
    const { ctx, page: a } = await joined("block")
    const b = await ctx.newPage()
    await b.goto(`${server.url}/w/${seeded.workspaceId}`)
    await firstTitle(b).waitFor({ timeout: poll.timeout })
    const ids = await a
      .locator("li.task")
      .evaluateAll((els) => els.slice(0, 6).map((e) => e.getAttribute("data-task-id")!))
    for (const [i, id] of ids.entries()) await rename(i % 2 === 0 ? a : b, id, `Tab ${i % 2 === 0 ? "A" : "B"} ${i}`)
    for (const p of [a, b])
      for (const [i, id] of ids.entries())
        await expect.poll(() => titleOf(p, id).inputValue(), poll).toBe(`Tab ${i % 2 === 0 ? "A" : "B"} ${i}`)
    await ctx.close()
  })
})
