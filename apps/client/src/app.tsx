import { RouterProvider } from "@tanstack/react-router"
import { StrictMode, startTransition } from "react"
import { createRoot } from "react-dom/client"
import type { AppRouter } from "./router.js"
import { registerServiceWorkerLater } from "./serviceWorker.js"
import "./styles.css"

/** Renders the app into `#root` with its router (main.ts loads this last, and makes the router). */
export const mount = (router: AppRouter): void => {
  const root = document.getElementById("root")
  if (root === null) throw new Error("index.html has no #root element")
  // The service worker caches the app shell; it is registered once the page shows what it opened.
  registerServiceWorkerLater()
  // A transition: React renders the first screen in slices of a few milliseconds, yielding to
  // the browser between them, where a plain render was one task of 50-60 ms on a reload.
  const app = createRoot(root)
  startTransition(() =>
    app.render(
      <StrictMode>
        <RouterProvider router={router} />
      </StrictMode>,
    ),
  )
}
