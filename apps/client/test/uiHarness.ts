import type { Locator, Page } from "playwright-core"

/** Browser-test helpers for the UI rules (U1–U5 in apps/client/README.md). */

/** The text of the hint a field points at (`aria-describedby`): its counter and why it cannot be saved. */
export const hintOf = async (field: Locator): Promise<string> => {
  const id = await field.getAttribute("aria-describedby")
  if (id === null) return ""
  return (await field.page().locator(`[id="${id}"]`).textContent()) ?? ""
}

/** Numbers as the app prints them (en-US in the test browser): 100000 → "100,000". */
export const n = (x: number): string => x.toLocaleString("en-US")

/** Waits until every local change reached the server. */
export const uploaded = (p: Page) => p.getByTestId("pending").textContent()

/**
 * Records every text the status bar shows from the moment the page loads (a MutationObserver
 * installed before the app's scripts), so a test can check states that last one frame.
 */
export const recordStatusBar = async (p: Page): Promise<void> => {
  await p.addInitScript(() => {
    const seen: Array<{ headline: string; pending: string; all: string }> = []
    ;(globalThis as { __statusSeen?: typeof seen }).__statusSeen = seen
    const snap = () => {
      const bar = document.querySelector("[data-testid=status-bar]")
      if (bar === null) return
      const headline = bar.querySelector("[data-testid=sync-state]")?.textContent ?? ""
      const pending = bar.querySelector("[data-testid=pending]")?.textContent ?? ""
      const all = bar.textContent ?? ""
      const last = seen.at(-1)
      if (last?.all !== all) seen.push({ headline, pending, all })
    }
    new MutationObserver(snap).observe(document, { subtree: true, childList: true, characterData: true })
  })
}

export const statusSeen = (p: Page) =>
  p.evaluate(
    () =>
      (globalThis as { __statusSeen?: Array<{ headline: string; pending: string; all: string }> }).__statusSeen ?? [],
  )
