import { mkdirSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import type { Browser } from "playwright-core"
import { beforeEach } from "vitest"
import { clientDir } from "./harness.js"

/** Where failure snapshots go; `npm test` prints their first lines again beside its summary. */
export const failuresDir = join(clientDir, "..", "..", ".tmp", "browser-failures")

const PAGE_TEXT = 1_500

/**
 * When a test of this file fails, writes what every open page showed at that moment (its URL,
 * status bar, task titles and visible text): a browser failure seen only as "matcher did not
 * succeed in time" in CI's log is otherwise impossible to explain.
 */
export const describePagesOnFailure = (browser: () => Browser | undefined): void => {
  beforeEach((ctx) => {
    ctx.onTestFailed(async () => {
      // Each failed attempt is kept: one a retry then passed is reported as flaky, not hidden.
      const attempt = (ctx.task.result?.retryCount ?? 0) + 1
      const lines: Array<string> = [`pages at failure, attempt ${attempt}: ${ctx.task.file.name} > ${ctx.task.name}`]
      for (const [c, context] of (browser()?.contexts() ?? []).entries())
        for (const [i, page] of context.pages().entries()) {
          const shown = await page
            .evaluate((max) => {
              const text = (sel: string) => document.querySelector(sel)?.textContent?.trim() ?? "(none)"
              const titles = [...document.querySelectorAll<HTMLInputElement>("input.task-title")].map((e) => e.value)
              return [
                `status bar: ${text('[data-testid="status-bar"]')}`,
                `pending: ${text('[data-testid="pending"]')}`,
                `task titles: ${JSON.stringify(titles)}`,
                `text: ${(document.body.textContent ?? "").replace(/\s+/g, " ").slice(0, max)}`,
              ]
            }, PAGE_TEXT)
            .catch((e: unknown) => [`(could not read the page: ${String(e).split("\n")[0]})`])
          lines.push(`context ${c} page ${i} ${page.url()}`, ...shown.map((l) => `  ${l}`))
        }
      const text = lines.join("\n")
      console.error(text)
      mkdirSync(failuresDir, { recursive: true })
      const name = `${ctx.task.file.name}-${ctx.task.name}-attempt${attempt}`.replace(/[^\w.-]+/g, "_").slice(0, 150)
      writeFileSync(join(failuresDir, `${name}.txt`), `${text}\n`)
    })
  })
}
