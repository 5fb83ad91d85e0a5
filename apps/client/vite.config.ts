import react from "@vitejs/plugin-react"
import { defineConfig, type Plugin } from "vite"
import { VitePWA } from "vite-plugin-pwa"

/**
 * The page's start (`src/main.ts`) evaluates its code in steps, a task each, through dynamic
 * imports; left alone, each step's chunks are only requested when the step before has run, a
 * round trip per step (~450 ms of a new device's first visit on a busy machine). These links
 * fetch every chunk of those steps at once, with the page; evaluation still happens in steps.
 */
const preloadStartChunks = (): Plugin => {
  let base = "/"
  return {
    name: "vibestack:preload-start-chunks",
    apply: "build",
    configResolved(config) {
      base = config.base
    },
    transformIndexHtml: {
      order: "post",
      handler(_html, ctx) {
        const { bundle, chunk: entry } = ctx
        if (bundle === undefined || entry === undefined) return
        const files = new Set<string>()
        const visit = (file: string): void => {
          const chunk = bundle[file]
          if (files.has(file) || chunk?.type !== "chunk") return
          files.add(file)
          for (const f of chunk.imports) visit(f)
        }
        for (const f of entry.dynamicImports) visit(f)
        // The entry and its own static imports already load with the page (Vite's `modulePreload`).
        for (const f of [entry.fileName, ...entry.imports]) files.delete(f)
        return [...files].map((f) => ({
          tag: "link",
          attrs: { rel: "modulepreload", crossorigin: true, href: `${base}${f}` },
          injectTo: "head" as const,
        }))
      },
    },
  }
}

/**
 * loro-crdt ships its own WASM loader: keep it out of dependency pre-bundling. Every
 * `loro-crdt` import resolves to its web entry, whose WebAssembly the workers instantiate
 * asynchronously and streaming (`src/sync/loroReady.ts`), never with the default browser
 * entry's synchronous XHR. Workers are ES modules so they can import it too.
 */
export default defineConfig({
  plugins: [
    react(),
    preloadStartChunks(),
    VitePWA({
      // The service worker only caches the app shell; data lives in IndexedDB.
      registerType: "autoUpdate",
      injectRegister: false,
      manifest: false,
      workbox: {
        globPatterns: ["**/*.{js,css,html,wasm,svg,png,ico}"],
        maximumFileSizeToCacheInBytes: 10 * 1024 * 1024,
        navigateFallback: "/index.html",
        // API calls must reach the network (or fail); never serve them from the shell cache.
        navigateFallbackDenylist: [/^\/api\//, /^\/healthz/, /^\/metrics/],
      },
    }),
  ],
  resolve: { alias: [{ find: /^loro-crdt$/, replacement: "loro-crdt/web" }] },
  optimizeDeps: { exclude: ["loro-crdt"] },
  worker: { format: "es" },
  build: { outDir: "dist", target: "es2022", emptyOutDir: true },
  server: {
    proxy: {
      "/api": { target: "http://127.0.0.1:3000", ws: true },
      "/healthz": "http://127.0.0.1:3000",
    },
  },
})
