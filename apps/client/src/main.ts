/**
 * The page's code evaluates in steps, a task each: React, Effect, the channel messages (our
 * schemas), the IndexedDB store (Dexie), the board's page, then the app. A first visit has no
 * code cache, and the page's bundle evaluated as one module graph was one task of 120-150 ms
 * (Effect's modules and our schemas ~half of it) before anything could show or answer input. Each step fetches its chunks
 * when it starts (Vite's preload of that import's dependencies), waits for the previous step's
 * evaluation, and yields to the browser in between. The router is made in a task of its own,
 * then React's root (see `createAppRouter`).
 */
const nextTask = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0))

const start = async (): Promise<void> => {
  await import("react-dom/client")
  await nextTask()
  // Our own modules, not the libraries' entries: a dynamic import of a package's entry keeps every
  // export of it (all of Effect), where these keep what the app uses. Effect's modules first
  // (30-35 ms on a first visit), then our schemas on them.
  await import("./sync/effectFirst.js")
  await nextTask()
  await import("./sync/messages.js")
  await nextTask()
  await import("./db/DexieLocalStore.js")
  await nextTask()
  // The board's page and its components, before the router and the other pages: with them in
  // one step the last step took 31-83 ms (median 41, 12 first visits), now 4-15 and 12-56
  // (median 16). React DOM's own step is one module and stays what it is.
  await import("./routes/BoardPage.js")
  await nextTask()
  const [{ mount }, { createAppRouter }] = await Promise.all([import("./app.js"), import("./router.js")])
  await nextTask()
  const router = createAppRouter()
  await nextTask()
  mount(router)
}

void start()
