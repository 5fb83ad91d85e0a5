import { createRequire } from "node:module"
import type { Page } from "playwright-core"

const axePath = createRequire(import.meta.url).resolve("axe-core/axe.min.js")

export interface AxeViolation {
  readonly id: string
  readonly impact: string | null
  readonly help: string
  readonly targets: ReadonlyArray<string>
}

/**
 * Runs axe-core (WCAG 2.x A and AA rules) on the page, or inside one element, and returns the
 * serious and critical violations, each with the elements it found them on.
 */
export const seriousViolations = async (page: Page, selector?: string): Promise<ReadonlyArray<AxeViolation>> => {
  if (!(await page.evaluate(() => "axe" in globalThis))) await page.addScriptTag({ path: axePath })
  return page.evaluate(async (sel) => {
    type Result = {
      violations: Array<{ id: string; impact: string | null; help: string; nodes: Array<{ target: Array<string> }> }>
    }
    const axe = (globalThis as unknown as { axe: { run: (c: unknown, o: unknown) => Promise<Result> } }).axe
    const r = await axe.run(sel ?? document, {
      runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] },
    })
    return r.violations
      .filter((v) => v.impact === "serious" || v.impact === "critical")
      .map((v) => ({ id: v.id, impact: v.impact, help: v.help, targets: v.nodes.map((n) => n.target.join(" ")) }))
  }, selector)
}
