import { join } from "node:path"
import type { Page } from "playwright-core"
import { describe, expect, it } from "vitest"
import { resultsDir } from "./harness.js"
import { addTask, appServerPerFile, createWorkspace, mintLink, poll, taskRow, taskTitles } from "./serverHarness.js"

/**
 * [U3] A change the server refuses is listed as "not uploaded" with its reason in plain words
 * and actions (discard, copy, retry after re-joining); it never stops sync and never turns
 * into "revoked". Needs the engine's refused-change handling (issue #20: the sync worker keeps
 * going after a 403, reports `rejected`, and obeys DiscardRejected / RetryRejected).
 */
const app = appServerPerFile()

/** What a modified client does: the viewer's disabled Status select is re-enabled and used. */
const forceStatus = async (p: Page, title: string, status: string): Promise<void> => {
  const select = taskRow(p, title).getByLabel("Status")
  await select.evaluate((el) => el.removeAttribute("disabled"))
  await select.selectOption(status)
}

describe("[U3] refused changes", () => {
  // retry: failed once in CI (stop 21: the retried change stayed listed; the retry now goes to the
  // engine of the stored token), never here; a failed attempt's pages are printed (pagesOnFailure.ts).
  it("[U3] a viewer's forced edit is refused and listed; sync goes on, the board is complete; discard, copy, retry after re-joining", {
    retry: 1,
  }, async () => {
    const ctxA = await app.browser.newContext()
    const a = await createWorkspace(ctxA, app.server.url, "Refused", "Docs")
    await addTask(a, "Docs", "Read me")
    const viewerLink = await mintLink(a, "viewer", "Viewer V")
    await a.getByRole("dialog").getByRole("button", { name: "Close" }).click()

    const ctxV = await app.browser.newContext({ permissions: ["clipboard-read", "clipboard-write"] })
    const v = await ctxV.newPage()
    await v.goto(viewerLink)
    await expect.poll(() => taskTitles(v), poll).toEqual(["Read me"])
    await forceStatus(v, "Read me", "done")
    const refused = v.getByTestId("rejected")
    await expect.poll(() => refused.textContent(), poll).toBe("1 change not uploaded")

    // Sync goes on: everything the master adds arrives, and the status is not "revoked".
    const titles = ["Read me", ...Array.from({ length: 40 }, (_, i) => `After ${i}`)]
    for (const t of titles.slice(1)) await addTask(a, "Docs", t)
    await expect.poll(() => taskTitles(v), poll).toEqual(titles)
    const bar = await v.getByTestId("status-bar").textContent()
    expect(bar).not.toMatch(/revoked|expired|Sync stopped/)
    expect(await v.getByTestId("sync-fatal").count()).toBe(0)
    // The board shows the server's state, not the refused edit.
    await expect.poll(() => taskRow(v, "Read me").getByLabel("Status").inputValue(), poll).toBe("todo")

    // Still complete and syncing after a reload and after opening the same link again.
    await v.reload()
    await expect.poll(() => taskTitles(v), poll).toEqual(titles)
    await addTask(a, "Docs", "After reload")
    await expect.poll(() => taskTitles(v).then((t) => t.at(-1)), poll).toBe("After reload")
    await v.goto(viewerLink)
    await addTask(a, "Docs", "After rejoin")
    await expect.poll(() => taskTitles(v).then((t) => t.at(-1)), poll).toBe("After rejoin")
    await expect.poll(() => refused.textContent(), poll).toBe("1 change not uploaded")

    // The list: reason in words, what the change held, copy, discard.
    await refused.click()
    const list = v.getByRole("dialog", { name: "Changes not uploaded" })
    const item = list.getByRole("listitem")
    await expect.poll(() => item.count(), poll).toBe(1)
    expect(await item.textContent()).toContain("view-only")
    expect(await item.getByRole("button", { name: "Retry" }).isDisabled()).toBe(true)
    await v.screenshot({ path: join(resultsDir, "refused-list.png") })
    await item.getByRole("button", { name: "Copy text" }).click()
    const copied = await v.evaluate(() => navigator.clipboard.readText())
    expect(copied.length).toBeGreaterThan(0)
    await item.getByRole("button", { name: "Discard" }).click()
    await expect.poll(() => item.count(), poll).toBe(0)
    await list.getByRole("button", { name: "Close" }).click()
    await expect.poll(() => refused.count(), poll).toBe(0)

    // Another forced edit, then the owner sends an editor link: retry uploads it.
    await forceStatus(v, "Read me", "in_progress")
    await expect.poll(() => refused.textContent(), poll).toBe("1 change not uploaded")
    await a.getByRole("button", { name: "Share" }).click()
    const editorLink = await mintLink(a, "editor", "V as editor")
    await v.goto(editorLink)
    // Retry as soon as the page allows it (the role it read is "editor"), while the sync leader
    // may still run the viewer's engine: the retry must go to the editor's.
    await v.getByTestId("rejected").click()
    await list.getByRole("listitem").getByRole("button", { name: "Retry" }).click()
    await expect.poll(() => list.getByRole("listitem").count(), poll).toBe(0)
    await expect.poll(() => taskTitles(v).then((t) => t.length), poll).toBe(titles.length + 2)
    await expect.poll(() => taskRow(a, "Read me").getByLabel("Status").inputValue(), poll).toBe("in_progress")
    await Promise.all([ctxA.close(), ctxV.close()])
  })
})
