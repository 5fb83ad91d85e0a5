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

export const router = createRouter({ routeTree })

declare module "@tanstack/react-router" {
  interface Register {
    router: typeof router
  }
}
