/**
 * The README tour's screenshots, taken from a real run: the built app on the real server
 * (embedded Postgres), two people in two Chromium contexts (Alice, the master; Bob, joined
 * through a link that names him), at desktop (1280×800) and phone (360×740) width.
 * Run: node --import tsx apps/client/scripts/screenshots.ts   → docs/screenshots/*.png
 */
import { mkdirSync } from "node:fs"
import { fileURLToPath } from "node:url"
import type { Page } from "playwright-core"
import { buildClient, launchChromium } from "../test/harness.js"
import { addTask, createWorkspace, mintLink, startAppServer } from "../test/serverHarness.js"

const out = fileURLToPath(new URL("../../../docs/screenshots/", import.meta.url))
mkdirSync(out, { recursive: true })

const wait = { timeout: 60_000 }
const card = (p: Page, title: string) => p.locator(".card-title", { hasText: title })
const panel = (p: Page) => p.getByRole("complementary", { name: "Task details" })

const setName = async (p: Page, name: string) => {
  await p.getByRole("button", { name: /^People/ }).click()
  await p.getByRole("dialog").getByLabel("Your name").fill(name)
  await p.getByRole("dialog").getByLabel("Your name").press("Enter")
  await p.getByRole("dialog").getByRole("button", { name: "Close" }).click()
}

/** Opens a card and sets its fields through the task panel, as a person would. */
const edit = async (
  p: Page,
  title: string,
  f: { status?: string; priority?: string; assignee?: string; due?: string; description?: string },
) => {
  await card(p, title).click()
  const d = panel(p)
  if (f.status !== undefined) await d.getByLabel("Status").selectOption(f.status)
  if (f.priority !== undefined) await d.getByLabel("Priority").selectOption(f.priority)
  if (f.assignee !== undefined) await d.getByLabel("Assignee").selectOption({ label: f.assignee })
  if (f.due !== undefined) await d.getByLabel("Due date").fill(f.due)
  if (f.description !== undefined) await d.getByLabel("Description").fill(f.description)
  await d.getByRole("button", { name: "Close details" }).click()
}

const main = async () => {
  await buildClient()
  const server = await startAppServer()
  const browser = await launchChromium()
  try {
    const ctxA = await browser.newContext({ viewport: { width: 1280, height: 800 } })
    const ctxB = await browser.newContext({ viewport: { width: 1280, height: 800 } })
    const a = await createWorkspace(ctxA, server.url, "Launch plan", "Website")
    await setName(a, "Alice")
    await a.getByRole("button", { name: "Share" }).click()
    await a.getByRole("dialog").getByLabel("For (person's name, optional)").fill("Bob")
    const link = await mintLink(a, "editor", "Bob's laptop")
    await a.getByRole("dialog").getByRole("button", { name: "Close" }).click()
    const tasks = [
      "Write the launch post",
      "Pricing page copy",
      "Fix signup on Safari",
      "Hero illustration",
      "Set up status page",
      "Press kit",
      "Cookie banner",
    ]
    for (const t of tasks) await addTask(a, "Website", t)
    await a.getByRole("button", { name: "Board", exact: true }).click()
    await card(a, tasks.at(-1)!).waitFor(wait)
    const b = await ctxB.newPage()
    await b.goto(link)
    await b.getByRole("heading", { name: "Website" }).waitFor(wait)
    await b.getByRole("button", { name: "Board", exact: true }).click()

    await edit(a, "Write the launch post", {
      status: "in_progress",
      priority: "high",
      assignee: "Alice",
      due: "2026-12-14",
    })
    await edit(a, "Pricing page copy", { status: "in_review", priority: "medium", assignee: "Bob", due: "2026-12-10" })
    await edit(a, "Fix signup on Safari", { status: "in_progress", priority: "urgent", assignee: "Bob" })
    await edit(a, "Hero illustration", { status: "done", priority: "low", assignee: "Alice" })
    await edit(a, "Set up status page", { priority: "medium", due: "2026-12-20" })
    await edit(a, "Cookie banner", { status: "canceled" })
    await edit(a, "Press kit", {
      description: "Logos, screenshots and a one-paragraph story.\nAsk Bob for the product shots.",
    })
    // Bob renames one (a change of his own in the history) and comments.
    await card(b, "Press kit").waitFor(wait)
    await card(b, "Press kit").click()
    await panel(b).getByLabel("Title").fill("Press kit and logos")
    await panel(b).getByLabel("Title").press("Enter")
    await panel(b).getByLabel("Add a comment").fill("I'll bring the product shots tomorrow.")
    await panel(b).getByRole("button", { name: "Comment" }).click()
    await card(a, "Press kit and logos").waitFor(wait)
    // Bob is typing in the description while Alice looks at the same task.
    await panel(b).getByLabel("Description").click()
    await panel(b).getByLabel("Description").press("End")
    await panel(b).getByLabel("Description").pressSequentially(" Also the team photo.")
    await card(a, "Press kit and logos").click()
    await a.getByText("Bob is typing in the description.").waitFor(wait)
    await a.getByTestId("pending").getByText("All changes uploaded").waitFor(wait)

    await a.getByRole("button", { name: "Close details" }).click()
    for (const [width, height, suffix] of [
      [1280, 800, "desktop"],
      [360, 740, "phone"],
    ] as const) {
      await a.setViewportSize({ width, height })
      await a.getByRole("button", { name: "Board", exact: true }).click()
      await a.screenshot({ path: `${out}board-${suffix}.png` })
      await a.getByRole("button", { name: "List", exact: true }).click()
      await a.screenshot({ path: `${out}list-${suffix}.png` })
      await a.getByRole("button", { name: "Board", exact: true }).click()
      await card(a, "Press kit and logos").click()
      await a.getByText("Bob is typing in the description.").waitFor(wait)
      await a.screenshot({ path: `${out}task-panel-presence-${suffix}.png` })
      // On a phone the panel covers the board: close it to reach the top bar.
      await a.getByRole("button", { name: "Close details" }).click()
      await a.getByRole("button", { name: "History" }).click()
      const history = a.getByRole("dialog", { name: "History" })
      await history.locator("[data-version-index]").nth(1).click()
      await a.screenshot({ path: `${out}history-${suffix}.png` })
      await history.getByRole("button", { name: "Close" }).click()
    }
    await Promise.all([ctxA.close(), ctxB.close()])
  } finally {
    await browser.close()
    await server.stop()
  }
  console.log(`screenshots written to ${out}`)
}

await main()
