/**
 * Where the page's main thread goes while opening a large workspace and while typing: a CPU
 * profile (CDP Profiler) of a reload from IndexedDB and of keypresses, summarised by self time
 * per function, with Chromium's layout/style/script totals (CDP Performance metrics). A tool
 * for finding the next thing to make cheaper; `client-render.ts` is the benchmark.
 * PRE_RELOADS=n reloads n times first (the row count is printed before and after each).
 * Run: node --import tsx bench/client-profile.ts [tasks=10000] [view=list|board]
 */
import { writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { seedOverHttp } from "@vibestack/server/src/cli/commands/seed.js"
import { startTestServer } from "@vibestack/server/src/test/server.js"
import { Option } from "effect"
import { type CDPSession, chromium } from "playwright-core"
import { build } from "vite"
import type { PageDocument, PageWindow } from "./lib/pageGlobals.js"

declare const window: PageWindow
declare const document: PageDocument

const tasks = Number(process.argv[2] ?? 10_000)
const view = process.argv[3] === "board" ? "board" : "list"
const clientDir = fileURLToPath(new URL("../apps/client", import.meta.url))
/** Built unminified (readable function names), outside the repository. */
const outDir = join(tmpdir(), "vibestack-client-profile")

interface ProfileNode {
  readonly id: number
  readonly callFrame: { functionName: string; url: string; lineNumber: number }
  readonly children?: ReadonlyArray<number>
}
interface Profile {
  readonly nodes: ReadonlyArray<ProfileNode>
  readonly samples: ReadonlyArray<number>
  readonly timeDeltas: ReadonlyArray<number>
}

const summarise = (p: Profile, top = 25): string => {
  const byId = new Map(p.nodes.map((n) => [n.id, n]))
  const self = new Map<string, number>()
  p.samples.forEach((id, i) => {
    const f = byId.get(id)!.callFrame
    const name = `${f.functionName || "(anon)"} ${f.url.split("/").at(-1)}:${f.lineNumber + 1}`
    self.set(name, (self.get(name) ?? 0) + (p.timeDeltas[i] ?? 0) / 1000)
  })
  return [...self]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([n, ms]) => `${ms.toFixed(1).padStart(8)} ms  ${n}`)
    .join("\n")
}

interface TraceEvent {
  readonly name: string
  readonly ph: string
  readonly tid: number
  readonly pid: number
  readonly ts: number
  readonly dur?: number
  readonly args?: {
    readonly name?: string
    readonly data?: { readonly functionName?: string; readonly url?: string; readonly type?: string }
  }
}
type Trace = { readonly traceEvents: ReadonlyArray<TraceEvent> }

/** Time on the renderer's main thread by event name (nested events counted inside their parents too). */
const timeline = (t: Trace): string => {
  const main = t.traceEvents.find((e) => e.name === "thread_name" && e.args?.name === "CrRendererMain")
  const by = new Map<string, { ms: number; n: number; max: number }>()
  for (const e of t.traceEvents) {
    if (main === undefined || e.tid !== main.tid || e.pid !== main.pid || e.ph !== "X" || e.dur === undefined) continue
    const s = by.get(e.name) ?? { ms: 0, n: 0, max: 0 }
    s.ms += e.dur / 1000
    s.n++
    s.max = Math.max(s.max, e.dur / 1000)
    by.set(e.name, s)
  }
  return [...by]
    .sort((a, b) => b[1].ms - a[1].ms)
    .slice(0, 18)
    .map(
      ([n, s]) =>
        `${s.ms.toFixed(1).padStart(8)} ms ${String(s.n).padStart(5)}× max ${s.max.toFixed(1).padStart(6)}  ${n}`,
    )
    .join("\n")
}

/**
 * The renderer main thread's tasks over `minMs`, each with what ran inside it (events nested
 * in its span, by name, and the scripts' function names): where a long task's time went.
 */
const longTasks = (t: Trace, minMs = 40): string => {
  const main = t.traceEvents.find((e) => e.name === "thread_name" && e.args?.name === "CrRendererMain")
  const on = t.traceEvents.filter(
    (e) => main !== undefined && e.tid === main.tid && e.pid === main.pid && e.ph === "X" && e.dur !== undefined,
  )
  const t0 = Math.min(...on.map((e) => e.ts))
  const tasks = on.filter((e) => e.name === "RunTask" && e.dur! / 1000 >= minMs)
  return tasks
    .map((task) => {
      const inside = on.filter((e) => e !== task && e.ts >= task.ts && e.ts + e.dur! <= task.ts + task.dur!)
      const by = new Map<string, number>()
      for (const e of inside) {
        const d = e.args?.data
        const name =
          e.name === "FunctionCall" || e.name === "EvaluateScript" || e.name === "v8.compile"
            ? `${e.name} ${d?.functionName ?? ""} ${(d?.url ?? "").split("/").at(-1)}`
            : e.name === "EventDispatch"
              ? `EventDispatch ${d?.type ?? ""}`
              : e.name
        by.set(name, (by.get(name) ?? 0) + e.dur! / 1000)
      }
      const top = [...by]
        .sort((a, b) => b[1] - a[1])
        .slice(0, 10)
        .map(([n, ms]) => `    ${ms.toFixed(1).padStart(7)} ms  ${n}`)
        .join("\n")
      return `  task at ${((task.ts - t0) / 1000).toFixed(0)} ms, ${(task.dur! / 1000).toFixed(1)} ms:\n${top}`
    })
    .join("\n")
}

const metrics = async (cdp: CDPSession) => {
  const { metrics } = (await cdp.send("Performance.getMetrics")) as { metrics: Array<{ name: string; value: number }> }
  const pick = (n: string) => (metrics.find((m) => m.name === n)?.value ?? 0) * 1000
  return {
    layout: pick("LayoutDuration"),
    style: pick("RecalcStyleDuration"),
    script: pick("ScriptDuration"),
    task: pick("TaskDuration"),
  }
}
const diff = (a: Awaited<ReturnType<typeof metrics>>, b: Awaited<ReturnType<typeof metrics>>) =>
  `layout ${(b.layout - a.layout).toFixed(0)} ms, style ${(b.style - a.style).toFixed(0)} ms, script ${(b.script - a.script).toFixed(0)} ms, tasks ${(b.task - a.task).toFixed(0)} ms`

await build({ root: clientDir, logLevel: "warn", build: { outDir, minify: false } })
const server = await startTestServer({ config: { clientDist: Option.some(outDir) } })
try {
  const seeded = await seedOverHttp({ url: server.url, tasks, projects: 10, seed: 7 })
  const browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"],
  })
  const context = await browser.newContext()
  await context.addInitScript(`
    localStorage.setItem("vibestack-view", ${JSON.stringify(view)})
    window.__longTasks = []
    new MutationObserver((_, obs) => {
      if (document.querySelector("input.task-title, li.card")) { window.__firstBoard = performance.now(); obs.disconnect() }
    }).observe(document, { childList: true, subtree: true })
    new PerformanceObserver((l) => { for (const e of l.getEntries()) window.__longTasks.push(Math.round(e.startTime) + "+" + Math.round(e.duration)) })
      .observe({ type: "longtask", buffered: true })`)
  const page = await context.newPage()
  page.on("pageerror", (e) => console.log("page error:", e.message))
  // The join (a new device's first load from the server), traced: its long tasks, broken down.
  await browser.startTracing(page, { categories: ["devtools.timeline", "disabled-by-default-devtools.timeline"] })
  const joinCdp = await context.newCDPSession(page)
  await joinCdp.send("Profiler.enable")
  await joinCdp.send("Profiler.setSamplingInterval", { interval: 200 })
  await joinCdp.send("Profiler.start")
  await page.goto(`${server.url}/join/${seeded.workspaceId}#token=${seeded.masterToken}`)
  await page.waitForFunction(
    () => document.querySelector('[data-testid="sync-state"]')?.textContent?.includes("Up to date"),
    null,
    { timeout: 900_000 },
  )
  await page.waitForSelector('main.board[data-doc-loaded="true"][data-filling="false"]', { timeout: 900_000 })
  // "Up to date" is the leader's word: the tab may not have the rows yet. Wait until every task is counted.
  await page.waitForFunction(
    (n) =>
      [...document.querySelectorAll(".project-header .muted")].reduce(
        (sum, e) => sum + Number(/(\d+) tasks?$/.exec(e.textContent ?? "")?.[1] ?? 0),
        0,
      ) >= n,
    tasks,
    { timeout: 900_000 },
  )
  const joinTraceBuf = await browser.stopTracing()
  writeFileSync(join(tmpdir(), "vibestack-join-trace.json"), joinTraceBuf)
  const joinTrace = JSON.parse(joinTraceBuf.toString()) as Trace
  const joinProfile = (await joinCdp.send("Profiler.stop")) as { profile: Profile }
  writeFileSync(join(tmpdir(), "vibestack-join.cpuprofile"), JSON.stringify(joinProfile.profile))
  const joinLongs = await page.evaluate(() => (window as unknown as { __longTasks: Array<string> }).__longTasks)
  console.log(`\n== join from the server: long tasks ${JSON.stringify(joinLongs)}\n${longTasks(joinTrace)}`)
  console.log(summarise(joinProfile.profile))
  const cdp = await context.newCDPSession(page)
  await cdp.send("Performance.enable")
  await cdp.send("Profiler.enable")
  await cdp.send("Profiler.setSamplingInterval", { interval: 200 })
  const countRows = () =>
    page.evaluate(
      () =>
        new Promise((resolve) => {
          const g = globalThis as unknown as {
            indexedDB: { open(n: string): { onsuccess: (() => void) | null; result: any } }
          }
          const r = g.indexedDB.open("vibestack")
          r.onsuccess = () => {
            const tx = r.result.transaction(["entities", "entityMarks"], "readonly")
            const c = tx.objectStore("entities").count()
            const m = tx.objectStore("entityMarks").getAll()
            tx.oncomplete = () => {
              resolve(`${c.result} rows, marks ${JSON.stringify(m.result).slice(0, 200)}`)
              r.result.close()
            }
          }
        }),
    )
  console.log(`before reloads: ${await countRows()}`)
  for (let i = 0; i < Number(process.env.PRE_RELOADS ?? 0); i++) {
    await page.reload()
    await page.waitForSelector('main.board[data-doc-loaded="true"][data-filling="false"]', { timeout: 900_000 })
    await page.waitForTimeout(500)
    console.log(`after: ${await countRows()}`)
    console.log(
      `pre-reload ${i}: first board ${await page.evaluate(() => (window as unknown as { __firstBoard: number }).__firstBoard?.toFixed(0))}`,
    )
  }
  // A reload from IndexedDB (traced from navigation; profiled once the new document exists).
  await browser.startTracing(page, { categories: ["devtools.timeline", "disabled-by-default-devtools.timeline"] })
  await page.reload()
  await cdp.send("Performance.enable")
  await cdp.send("Profiler.enable")
  await cdp.send("Profiler.setSamplingInterval", { interval: 200 })
  const m0 = await metrics(cdp)
  await cdp.send("Profiler.start")
  await page.waitForSelector('main.board[data-doc-loaded="true"]', { timeout: 900_000 })
  await page.waitForTimeout(1000)
  const open = (await cdp.send("Profiler.stop")) as { profile: Profile }
  const traceBuf = await browser.stopTracing()
  // The whole trace, for a closer look (chrome://tracing or Perfetto).
  writeFileSync(join(tmpdir(), "vibestack-open-trace.json"), traceBuf)
  writeFileSync(join(tmpdir(), "vibestack-open.cpuprofile"), JSON.stringify(open.profile))
  const openTrace = JSON.parse(traceBuf.toString()) as Trace
  const m1 = await metrics(cdp)
  const marks = await page.evaluate(() =>
    (performance as unknown as { getEntriesByType(t: string): Array<{ name: string; startTime: number }> })
      .getEntriesByType("mark")
      .map((m) => `${m.name} ${m.startTime.toFixed(0)}`)
      .join(", "),
  )
  console.log(
    `marks: ${marks}, first board ${await page.evaluate(() => (window as unknown as { __firstBoard: number }).__firstBoard?.toFixed(0))}`,
  )
  const longs = await page.evaluate(() => (window as unknown as { __longTasks: Array<string> }).__longTasks)
  console.log(`\n== reload from IndexedDB (${view}): long tasks ${JSON.stringify(longs)}\n${diff(m0, m1)}`)
  console.log(timeline(openTrace))
  console.log(longTasks(openTrace))
  console.log(summarise(open.profile))
  console.log(
    `DOM: ${await page.evaluate(() => (document as unknown as { getElementsByTagName(t: string): { length: number } }).getElementsByTagName("*").length)} elements`,
  )

  // Keypresses in a description, then in a task title.
  for (const [what, open, field] of [
    ["description", true, "#task-description"],
    ["task title", false, "input.task-title"],
    ["new task", false, 'input[placeholder="New task"]'],
  ] as const) {
    if (view === "board" && field === "input.task-title") continue
    if (open) {
      await page
        .locator(view === "board" ? "li.card" : "li.task")
        .first()
        .locator("button", { hasText: view === "board" ? /./ : "Details" })
        .first()
        .click()
    }
    await page.locator(field).first().click()
    const k0 = await metrics(cdp)
    await browser.startTracing(page, { categories: ["devtools.timeline", "disabled-by-default-devtools.timeline"] })
    await cdp.send("Profiler.start")
    for (let i = 0; i < 60; i++) await page.keyboard.press("a", { delay: 0 })
    await page.waitForTimeout(300)
    const typed = (await cdp.send("Profiler.stop")) as { profile: Profile }
    const typedBuf = await browser.stopTracing()
    const file = join(tmpdir(), `vibestack-keys-${what.replace(/ /g, "-")}`)
    writeFileSync(`${file}-trace.json`, typedBuf)
    writeFileSync(`${file}.cpuprofile`, JSON.stringify(typed.profile))
    const typedTrace = JSON.parse(typedBuf.toString()) as Trace
    console.log(timeline(typedTrace))
    console.log(longTasks(typedTrace))
    const k1 = await metrics(cdp)
    console.log(`\n== 60 keypresses in the ${what}: ${diff(k0, k1)}`)
    console.log(summarise(typed.profile, 15))
    await page.keyboard.press("Escape")
  }
  await browser.close()
} finally {
  await server.stop()
}
