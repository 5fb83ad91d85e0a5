/**
 * Issue 14: a burst of edits made through the web app reaches another device. The built app in
 * real Chromium against a real server (durable commits): device A creates N tasks through the
 * UI as fast as the UI allows (type the title, press Enter, next); device B has the same
 * workspace open. Reports the time from A's last Enter until B shows all N tasks, A's own
 * typing time, and whether A's status bar ever said "Up to date" while changes were waiting.
 * The floor beside it: the same N tasks pushed by a bare socket client in the same run,
 * last push → B's page shows them.
 *
 * Run: node --import tsx bench/ui-burst.ts [tasks=500] [runs=3]
 */
import { fileURLToPath } from "node:url"
import { launchChromium } from "@vibestack/client/test/harness.js"
import { HeadlessClient } from "@vibestack/headless"
import { createTask, type WorkspaceId } from "@vibestack/schema"
import { startTestServer } from "@vibestack/server/src/test/server.js"
import { fmt, median } from "@vibestack/server/src/test/stats.js"
import { Option } from "effect"
import type { Page } from "playwright-core"
import { build } from "vite"
import type { PageDocument, PageWindow } from "./lib/pageGlobals.js"

// Used only inside functions that run in the page.
declare const window: PageWindow
declare const document: PageDocument

const [tasks = 500, runs = 3] = process.argv.slice(2).map(Number)
const clientDir = fileURLToPath(new URL("../apps/client", import.meta.url))

console.log("building the app…")
await build({ root: clientDir, logLevel: "warn", mode: "production" })
const server = await startTestServer({ config: { clientDist: Option.some(`${clientDir}/dist`) } })
const browser = await launchChromium()

const register = async (name: string) => {
  const r = await fetch(`${server.url}/api/v1/workspaces`, {
    method: "POST",
    headers: { "content-type": "application/json", origin: server.url },
    body: JSON.stringify({ name }),
  })
  return (await r.json()) as { workspaceId: string; masterToken: string }
}

/** Count of tasks device B shows for the project (the column header's "N tasks"). */
const shown = (page: Page, project: string) =>
  page.evaluate((name) => {
    for (const section of document.querySelectorAll("section")) {
      if (section.querySelector("h2")?.textContent?.trim() !== name) continue
      const m = /(\d+) tasks?/.exec(section.textContent ?? "")
      return m ? Number(m[1]) : 0
    }
    return 0
  }, project)

const waitShown = async (page: Page, project: string, n: number) => {
  const deadline = Date.now() + 300_000
  while ((await shown(page, project)) < n) {
    if (Date.now() > deadline) throw new Error(`device B shows ${await shown(page, project)} of ${n}`)
    await page.waitForTimeout(5)
  }
  return performance.now()
}

const open = async (ws: string, token: string) => {
  const context = await browser.newContext()
  const page = await context.newPage()
  await page.goto(`${server.url}/join/${ws}#token=${token}`)
  return page
}

const ui: Array<{ reach: number; typing: number; lies: number }> = []
const floor: Array<number> = []
try {
  for (let r = 0; r < runs; r++) {
    const { workspaceId: ws, masterToken } = await register(`Burst ${r}`)
    const a = await open(ws, masterToken)
    const b = await open(ws, masterToken)
    const project = `Project ${r}`
    await a.getByLabel("New project").fill(project)
    await a.keyboard.press("Enter")
    await b.getByRole("heading", { name: project }).waitFor({ timeout: 120_000 })
    // Sample A's status bar: "Up to date" while changes wait would be a lie (also a browser test).
    await a.evaluate(() => {
      const w = window as unknown as { __lies: number }
      w.__lies = 0
      setInterval(() => {
        const bar = document.querySelector('[data-testid="status-bar"]')?.textContent ?? ""
        if (/Up to date/.test(bar) && /waiting/.test(bar)) w.__lies++
      }, 20)
    })
    const input = a.getByPlaceholder("New task")
    const t0 = performance.now()
    for (let i = 0; i < tasks; i++) {
      await input.fill(`task ${i}`)
      await input.press("Enter")
    }
    const last = performance.now()
    const seen = await waitShown(b, project, tasks)
    const lies = await a.evaluate(() => (window as unknown as { __lies: number }).__lies)
    ui.push({ reach: seen - last, typing: last - t0, lies })
    console.log(
      `run ${r}: typed ${tasks} in ${fmt(last - t0, 0)} ms; B had all ${fmt(seen - last, 0)} ms after the last`,
    )

    // Floor: the same burst from the product's headless engine (no UI), into the open page B.
    const writer = await HeadlessClient.open(server.url, ws as WorkspaceId, masterToken, {
      dir: `/tmp/ui-burst-${process.pid}-${r}`,
      store: "memory",
    })
    await writer.waitIdle()
    const projectId = Object.entries(writer.doc.getMap("projects").toJSON() as Record<string, { name: string }>).find(
      ([, p]) => p.name === project,
    )![0]
    let lastId: string | null = null
    let entry: { id: number } | undefined
    for (let i = 0; i < tasks; i++)
      entry = await writer.edit((d) => {
        lastId = createTask(d, { projectId, title: `engine ${i}`, position: { after: lastId, before: null } }).id
      })
    const pushedAt = performance.now()
    await writer.acked(entry!.id)
    floor.push((await waitShown(b, project, 2 * tasks)) - pushedAt)
    await writer.close()
    await a.context().close()
    await b.context().close()
  }
  console.log(`\n${tasks} tasks created through the UI on device A, seen on device B (medians of ${runs} runs)`)
  console.log(`  A typing time (fill + Enter, ${tasks}×):          ${fmt(median(ui.map((x) => x.typing)), 0)} ms`)
  console.log(
    `  last Enter on A → all on B:                     ${fmt(median(ui.map((x) => x.reach)), 0)} ms  (target ≤ 1000 ms)`,
  )
  console.log(`  floor: headless engine burst, last commit → B:  ${fmt(median(floor), 0)} ms`)
  console.log(`  A's status bar said "Up to date" while changes waited: ${ui.reduce((n, x) => n + x.lies, 0)} samples`)
} finally {
  await browser.close()
  await server.stop()
}
