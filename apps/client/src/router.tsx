import { createRootRoute, createRoute, createRouter, Outlet } from "@tanstack/react-router"
import { BoardPage } from "./routes/BoardPage.js"
import { HomePage } from "./routes/HomePage.js"
import { JoinPage } from "./routes/JoinPage.js"

/** Code-based routes: three pages, no generated route tree to keep in sync. */
const rootRoute = createRootRoute({ component: () => <Outlet /> })

const homeRoute = createRoute({ getParentRoute: () => rootRoute, path: "/", component: HomePage })

export const boardRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: "/w/$workspaceId",
  component: BoardPage,
})

export const joinRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: "/join/$workspaceId",
  component: JoinPage,
})

const routeTree = rootRoute.addChildren([homeRoute, boardRoute, joinRoute])

/**
 * The app's router. Made by `main.ts` in a task of its own: creating it (the history, the
 * first location parsed, the route tree built) took ~40 ms of a first visit's main thread,
 * which together with the app's module evaluation and React's root was one task of 55-80 ms.
 */
export const createAppRouter = () => createRouter({ routeTree })
export type AppRouter = ReturnType<typeof createAppRouter>

declare module "@tanstack/react-router" {
  interface Register {
    router: AppRouter
  }
}
