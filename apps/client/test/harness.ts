import { createReadStream, existsSync, statSync } from "node:fs"
import { createServer, type Server } from "node:http"
import type { AddressInfo } from "node:net"
import { extname, join, normalize } from "node:path"
import { fileURLToPath } from "node:url"
import { type Browser, chromium } from "playwright-core"
import { build } from "vite"

export const clientDir = fileURLToPath(new URL("..", import.meta.url))
export const distDir = join(clientDir, "dist")
export const resultsDir = join(clientDir, "test-results")

/**
 * Builds the app once per test file (what `npm start` serves). Vitest sets NODE_ENV=test, and
 * Vite builds with the NODE_ENV it finds: without this the tests ran React's development build.
 */
export const buildClient = async (): Promise<void> => {
  const before = process.env.NODE_ENV
  process.env.NODE_ENV = "production"
  try {
    await build({ root: clientDir, logLevel: "warn" })
  } finally {
    process.env.NODE_ENV = before
  }
}

const TYPES: Record<string, string> = {
  ".html": "text/html",
  ".js": "text/javascript",
  ".css": "text/css",
  ".wasm": "application/wasm",
  ".json": "application/json",
  ".webmanifest": "application/manifest+json",
}

/** Serves `dist` on 127.0.0.1 with an SPA fallback; `/api` answers 503 (no server in these tests). */
export const serveDist = async (): Promise<{ readonly url: string; readonly close: () => Promise<void> }> => {
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? "/", "http://x").pathname
    if (path.startsWith("/api/") || path === "/healthz") {
      res.writeHead(503, { "Content-Type": "application/json" })
      res.end(JSON.stringify({ error: { kind: "Unavailable", message: "no server in this test" } }))
      return
    }
    const file = normalize(join(distDir, path))
    const target =
      file.startsWith(distDir) && existsSync(file) && statSync(file).isFile() ? file : join(distDir, "index.html")
    res.writeHead(200, { "Content-Type": TYPES[extname(target)] ?? "application/octet-stream" })
    createReadStream(target).pipe(res)
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

export const launchChromium = (): Promise<Browser> =>
  chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  })
