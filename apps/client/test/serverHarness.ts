import { mkdirSync } from "node:fs"
import { Option } from "effect"
import type { Browser, BrowserContext, Page } from "playwright-core"
import { afterAll, beforeAll } from "vitest"
import { buildClient, distDir, launchChromium, resultsDir } from "./harness.js"
import { describePagesOnFailure } from "./pagesOnFailure.js"

export interface TestServer {
  readonly url: string
  readonly stop: () => Promise<void>
}

/**
 * The real server (embedded Postgres, in this process) serving the built app on one origin.
 * Imported by a computed path so the client's typecheck does not compile the server's sources
 * (another package, with its own tsconfig and work in progress).
 */
export const startAppServer = async (): Promise<TestServer> => {
  const path = new URL("../../server/src/test/server.ts", import.meta.url).href
  const mod = (await import(/* @vite-ignore */ path)) as {
    readonly startTestServer: (o: { readonly config: Record<string, unknown> }) => Promise<TestServer>
  }
  return mod.startTestServer({ config: { clientDist: Option.some(distDir) } })
}

export const poll = { timeout: 90_000, interval: 100 } as const

export const taskTitles = (p: Page): Promise<ReadonlyArray<string>> =>
  p.locator("input.task-title").evaluateAll((els) => els.map((e) => (e as HTMLInputElement).value))

/** Creates a workspace with one project in a fresh page; resolves once the server registered it. */
export const createWorkspace = async (
  context: BrowserContext,
  url: string,
  name: string,
  project: string,
): Promise<Page> => {
  const page = await context.newPage()
  await page.goto(url)
  await page.getByLabel("New workspace").fill(name)
  await page.getByRole("button", { name: "Create" }).click()
  await page.waitForURL(/\/w\//)
  await page.getByLabel("New project").fill(project)
  await page.getByRole("button", { name: "Add project" }).click()
  await page.getByRole("heading", { name: project }).waitFor({ timeout: poll.timeout })
  // Registered: the master gets the Share button once the server answered.
  await page.getByRole("button", { name: "Share" }).waitFor({ timeout: poll.timeout })
  return page
}

/** Mints a share link through the master's share dialog and returns it. */
export const mintLink = async (master: Page, role: "editor" | "viewer", label: string): Promise<string> => {
  const dialog = master.getByRole("dialog")
  if (!(await dialog.isVisible())) await master.getByRole("button", { name: "Share" }).click()
  await dialog.getByLabel("Role").selectOption(role)
  await dialog.getByLabel("Label").fill(label)
  const link = dialog.getByLabel("Share link")
  const before = (await link.count()) > 0 ? await link.inputValue() : ""
  await dialog.getByRole("button", { name: "Create link" }).click()
  await dialog.getByRole("cell", { name: label }).waitFor({ timeout: poll.timeout })
  const deadline = Date.now() + poll.timeout
  for (;;) {
    const value = (await link.count()) > 0 ? await link.inputValue() : ""
    if (value !== "" && value !== before) return value
    if (Date.now() > deadline) throw new Error("no share link appeared")
    await master.waitForTimeout(50)
  }
}

export const addTask = async (page: Page, project: string, title: string): Promise<void> => {
  await page.getByLabel(`New task in ${project}`).fill(title)
  await page.getByRole("button", { name: "Add task" }).click()
}

/** The row of the task with this title. */
export const taskRow = (page: Page, title: string) =>
  page.locator("li.task").filter({ has: page.locator(`input.task-title[value="${title}"]`) })

/**
 * One app server (real Postgres) and one Chromium for a test file: started before its tests,
 * stopped after. Read `browser` and `server` inside tests (they exist once `beforeAll` ran).
 */
export const appServerPerFile = (): { readonly browser: Browser; readonly server: TestServer } => {
  let browser: Browser | undefined
  let server: TestServer | undefined
  beforeAll(async () => {
    mkdirSync(resultsDir, { recursive: true })
    await buildClient()
    server = await startAppServer()
    browser = await launchChromium()
  })
  afterAll(async () => {
    await browser?.close()
    await server?.stop()
  })
  describePagesOnFailure(() => browser)
  return {
    get browser() {
      if (browser === undefined) throw new Error("appServerPerFile: Chromium is not started yet")
      return browser
    },
    get server() {
      if (server === undefined) throw new Error("appServerPerFile: the server is not started yet")
      return server
    },
  }
}
