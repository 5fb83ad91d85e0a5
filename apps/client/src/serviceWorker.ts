import { registerSW } from "virtual:pwa-register"

/**
 * The service worker caches the app shell so a reload offline still opens the app. Installing
 * it downloads and stores every asset, the 3.6 MB Loro WebAssembly among them: about 0.5 s of
 * CPU on a first visit, spent while both workers compile Loro and the board waits for its
 * document (a new device's first board of 10,000 tasks came ~130 ms later for it). So it is
 * registered once the page shows what it opened (`pageShown`: the home page, or a board whose
 * first sync is over), or after `LATEST_MS` on a page that never gets there.
 */
const LATEST_MS = 10_000
const AFTER_SHOWN_MS = 1_000

let registered = false
const register = (): void => {
  if (registered) return
  registered = true
  registerSW({ immediate: true })
}

/** Call once at start: the fallback for pages that never show anything. */
export const registerServiceWorkerLater = (): void => {
  setTimeout(register, LATEST_MS)
}

/**
 * The page shows what it opened (the home page, or a board whose first sync is over). A second
 * later: the leader reports the sync over as soon as it stored the document, while the tab's
 * document worker is still importing it for the board (a page cannot see that message pass).
 */
export const pageShown = (): void => {
  setTimeout(register, AFTER_SHOWN_MS)
}
