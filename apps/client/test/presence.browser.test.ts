import { join } from "node:path"
import type { Page } from "playwright-core"
import { describe, expect, it } from "vitest"
import { resultsDir } from "./harness.js"
import { addTask, appServerPerFile, createWorkspace, mintLink, poll } from "./serverHarness.js"

/**
 * [S26][C17] Presence in the app: who is here, which task they have open, who is typing in
 * it; gone for everyone once a link is revoked. Two browsers through the real server.
 */
const app = appServerPerFile()

const hereNow = (p: Page) => p.getByRole("list", { name: "Here now" }).locator(".sr-only").allTextContents()
const setName = async (p: Page, name: string) => {
  await p.getByRole("button", { name: /^People/ }).click()
  await p.getByRole("dialog").getByLabel("Your name").fill(name)
  await p.getByRole("dialog").getByLabel("Your name").press("Enter")
  await p.getByRole("dialog").getByRole("button", { name: "Close" }).click()
}

describe("[S26] presence", () => {
  it("[S26] two people see each other, the task each has open and who is typing; revoking the link removes it for both", async () => {
    const ctxA = await app.browser.newContext()
    const ctxB = await app.browser.newContext()
    const a = await createWorkspace(ctxA, app.server.url, "Presence", "Plan")
    await setName(a, "Alice")
    await a.getByRole("button", { name: "Share" }).click()
    await a.getByRole("dialog").getByLabel("For (person's name, optional)").fill("Bob")
    const link = await mintLink(a, "editor", "Bob's link")
    await a.getByRole("dialog").getByRole("button", { name: "Close" }).click()
    await addTask(a, "Plan", "Roadmap")
    const b = await ctxB.newPage()
    await b.goto(link)
    for (const p of [a, b]) await p.getByRole("button", { name: "Board", exact: true }).click()

    await expect.poll(() => hereNow(a), poll).toEqual(["Bob is here"])
    await expect.poll(() => hereNow(b), poll).toEqual(["Alice is here"])

    // Alice opens the task, then types in its description.
    await a.locator(".card-title", { hasText: "Roadmap" }).click()
    await expect.poll(() => b.getByText("Alice has this open").count(), poll).toBe(1)
    await a.getByLabel("Description").click()
    await a.getByLabel("Description").pressSequentially("Hello")
    await expect.poll(() => b.getByText("Alice is typing here").count(), poll).toBe(1)
    await b.locator(".card-title", { hasText: "Roadmap" }).click()
    await expect
      .poll(() => b.getByTestId("others-here").textContent(), poll)
      .toBe("Alice is typing in the description. ")
    await expect
      .poll(() => a.getByTestId("others-here").textContent(), poll)
      .toMatch(/^Bob (has this task open\.|is typing in the description\. )$/)
    // Alice's caret shows in Bob's copy of the description, after what she typed, and stays
    // on its character when Bob types before it (a Loro cursor, not an offset).
    const caret = b.getByTestId("remote-carets").locator(".remote-caret")
    await expect.poll(() => caret.locator(".remote-caret-name").textContent(), poll).toBe("Alice")
    const before = () => caret.evaluate((el) => el.previousSibling?.textContent ?? "")
    await expect.poll(before, poll).toBe("Hello")
    await b.getByLabel("Description").press("Home")
    await b.getByLabel("Description").pressSequentially(">> ")
    await expect.poll(before, poll).toBe(">> Hello")
    await b.screenshot({ path: join(resultsDir, "presence.png") })

    // The master revokes Bob's link: each disappears for the other.
    await a.getByRole("button", { name: "Share" }).click()
    const row = a.getByRole("dialog").getByRole("row", { name: /Bob's link/ })
    await row.getByRole("button", { name: "Revoke" }).click()
    await expect.poll(() => row.textContent(), poll).toContain("revoked")
    await a.getByRole("dialog").getByRole("button", { name: "Close" }).click()
    await expect.poll(() => a.getByRole("list", { name: "Here now" }).count(), poll).toBe(0)
    await expect.poll(() => a.getByTestId("others-here").count(), poll).toBe(0)
    await expect.poll(() => b.getByRole("list", { name: "Here now" }).count(), poll).toBe(0)
    await expect.poll(() => b.getByTestId("others-here").count(), poll).toBe(0)
    await Promise.all([ctxA.close(), ctxB.close()])
  })
})
