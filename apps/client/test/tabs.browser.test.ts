import { mkdirSync } from "node:fs"
import { join } from "node:path"
import type { Browser, Page } from "playwright-core"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { buildClient, launchChromium, resultsDir, serveDist } from "./harness.js"
import { describePagesOnFailure } from "./pagesOnFailure.js"

/**
 * Cross-tab behaviour with no server at all: leader election, BroadcastChannel delivery of
 * local commits, IndexedDB persistence across reloads, and leader hand-off on tab close.
 */
let browser: Browser
describePagesOnFailure(() => browser)
let site: { readonly url: string; readonly close: () => Promise<void> }

const poll = { timeout: 30_000, interval: 100 }
const isLeader = (p: Page) => p.evaluate(() => document.documentElement.dataset.syncLeader === "true")
const taskTitles = (p: Page) =>
  p.locator("input.task-title").evaluateAll((els) => els.map((e) => (e as HTMLInputElement).value))

beforeAll(async () => {
  mkdirSync(resultsDir, { recursive: true })
  await buildClient()
  site = await serveDist()
  browser = await launchChromium()
})

afterAll(async () => {
  await browser?.close()
  await site?.close()
})

describe("tabs of one origin", () => {
  it("elect one leader, share local commits over the channel, keep data across reloads, hand off leadership", async () => {
    const context = await browser.newContext()
    const a = await context.newPage()
    await a.goto(site.url)
    await a.getByLabel("New workspace").fill("Team A")
    await a.getByRole("button", { name: "Create" }).click()
    await a.waitForURL(/\/w\//)
    await a.getByLabel("New project").fill("Launch")
    await a.getByRole("button", { name: "Add project" }).click()
    await expect.poll(() => a.getByRole("heading", { name: "Launch" }).count(), poll).toBe(1)

    const b = await context.newPage()
    await b.goto(a.url())
    await expect.poll(() => b.getByRole("heading", { name: "Launch" }).count(), poll).toBe(1)

    // Exactly one of the two tabs holds the leader lock.
    await expect.poll(async () => [await isLeader(a), await isLeader(b)].filter(Boolean).length, poll).toBe(1)

    // A commit in tab A shows up in tab B through the BroadcastChannel (no server exists).
    await a.getByLabel("New task in Launch").fill("Write the announcement")
    await a.getByRole("button", { name: "Add task" }).click()
    await expect.poll(() => taskTitles(b), poll).toEqual(["Write the announcement"])
    // And back: a status change in B reaches A.
    await b.getByLabel("Status").selectOption("in_progress")
    await expect.poll(() => a.getByLabel("Status").inputValue(), poll).toBe("in_progress")
    await a.screenshot({ path: join(resultsDir, "tabs-a.png") })

    // Reload keeps everything (IndexedDB).
    await b.reload()
    await expect.poll(() => taskTitles(b), poll).toEqual(["Write the announcement"])
    await expect.poll(() => b.getByLabel("Status").inputValue(), poll).toBe("in_progress")

    // Closing the leader hands leadership to the remaining tab.
    const [leader, other] = (await isLeader(a)) ? [a, b] : [b, a]
    await leader.close()
    await expect.poll(() => isLeader(other), poll).toBe(true)
    // The new leader's tab still edits and keeps its edits.
    await other.getByLabel("New task in Launch").fill("Book the venue")
    await other.getByRole("button", { name: "Add task" }).click()
    await expect.poll(() => taskTitles(other), poll).toEqual(["Write the announcement", "Book the venue"])
    await other.reload()
    await expect.poll(() => taskTitles(other), poll).toEqual(["Write the announcement", "Book the venue"])
    await other.screenshot({ path: join(resultsDir, "tabs-after-handoff.png") })
    await context.close()
  })
})
