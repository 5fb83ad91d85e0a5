import { Option } from "effect"
import { chromium } from "playwright-core"
import { seedOverHttp } from "../apps/server/src/cli/commands/seed.js"
import { startTestServer } from "../apps/server/src/test/server.js"
const clientDir = "/work/wt/large/apps/client"
const server = await startTestServer({ config: { clientDist: Option.some(`${clientDir}/dist`) } })
try {
  const seeded = await seedOverHttp({ url: server.url, tasks: 10000, projects: 10, seed: 7 })
  const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--headless", "--no-sandbox", "--disable-gpu"] })
  const context = await browser.newContext()
  await context.addInitScript(`window.__lt=[];new PerformanceObserver((l)=>{for(const e of l.getEntries())window.__lt.push([Math.round(e.startTime),Math.round(e.duration)])}).observe({type:"longtask",buffered:true})`)
  const page = await context.newPage()
  await page.goto(`${server.url}/join/${seeded.workspaceId}#token=${seeded.masterToken}`)
  await page.waitForFunction(() => document.querySelector('[data-testid="sync-state"]')?.textContent?.includes("Up to date") && document.querySelectorAll("input.task-title").length > 0, null, { timeout: 300000 })
  console.log("join long tasks", await page.evaluate(() => (window as any).__lt))
  const cdp = await context.newCDPSession(page)
  await cdp.send("Profiler.enable")
  await cdp.send("Profiler.setSamplingInterval", { interval: 200 })
  await cdp.send("Profiler.start")
  await page.reload()
  await page.waitForFunction(() => document.querySelector('main.board[data-doc-loaded="true"]') && document.querySelectorAll("input.task-title").length > 0, null, { timeout: 300000 })
  await page.waitForTimeout(1000)
  const { profile } = await cdp.send("Profiler.stop")
  console.log("reload long tasks", await page.evaluate(() => (window as any).__lt))
  const self = new Map<string, number>()
  const dt = profile.timeDeltas ?? []
  const byId = new Map(profile.nodes.map((n: any) => [n.id, n]))
  ;(profile.samples ?? []).forEach((id: number, i: number) => {
    const n: any = byId.get(id)
    const k = `${n.callFrame.functionName || "(anon)"} ${n.callFrame.url.split("/").pop()}:${n.callFrame.lineNumber}`
    self.set(k, (self.get(k) ?? 0) + (dt[i] ?? 0) / 1000)
  })
  console.log([...self].sort((a, b) => b[1] - a[1]).slice(0, 40).map(([k, v]) => `${v.toFixed(0)}ms ${k}`).join("\n"))
  await browser.close()
} finally { await server.stop() }
