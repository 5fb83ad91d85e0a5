import { join } from "node:path"
import { tmpdir } from "node:os"
import { fileURLToPath } from "node:url"
import { seedOverHttp } from "@vibestack/server/src/cli/commands/seed.js"
import { startTestServer } from "@vibestack/server/src/test/server.js"
import { Option } from "effect"
import { chromium } from "playwright-core"
import { build } from "vite"
const tasks = Number(process.argv[2] ?? 10_000)
const clientDir = fileURLToPath(new URL("../apps/client", import.meta.url))
const outDir = join(tmpdir(), "vibestack-layers")
await build({ root: clientDir, logLevel: "warn", build: { outDir, emptyOutDir: true } })
const server = await startTestServer({ config: { clientDist: Option.some(outDir) } })
const seeded = await seedOverHttp({ url: server.url, tasks, projects: 10, seed: 7 })
const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--headless", "--no-sandbox", "--disable-gpu"] })
const page = await (await browser.newContext()).newPage()
await page.goto(`${server.url}/join/${seeded.workspaceId}#token=${seeded.masterToken}`)
await page.waitForSelector('main.board[data-doc-loaded="true"]', { timeout: 300_000 })
await page.waitForTimeout(tasks >= 100_000 ? 20_000 : 5000)
await page.locator("li.task").first().getByRole("button", { name: "Details" }).click()
await page.getByLabel("Description").click()
const cdp = await page.context().newCDPSession(page)
await cdp.send("DOM.enable")
await cdp.send("LayerTree.enable")
let layers: any[] = []
cdp.on("LayerTree.layerTreeDidChange", (e: any) => { layers = e.layers ?? layers })
await page.keyboard.press("a")
await page.waitForTimeout(1000)
const info = await page.evaluate(() => {
  const d = (globalThis as any).document
  return { elements: d.querySelectorAll("*").length, rows: d.querySelectorAll("li.task").length, lists: d.querySelectorAll("ul,ol").length }
})
console.log(JSON.stringify(info), "layers", layers.length)
for (const l of layers.slice(0, 60)) console.log(l.layerId, l.nodeId ?? "", l.width, l.height, l.drawsContent, l.compositingReasons ?? "")
const snap = await cdp.send("LayerTree.compositingReasons" as any, { layerId: layers[1]?.layerId }).catch((e) => String(e))
console.log(JSON.stringify(snap))
await browser.close()
await server.stop()
process.exit(0)
