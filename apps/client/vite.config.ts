import react from "@vitejs/plugin-react"
import { defineConfig } from "vite"
import { VitePWA } from "vite-plugin-pwa"

/**
 * loro-crdt ships its own WASM loader: keep it out of dependency pre-bundling. Every
 * `loro-crdt` import resolves to its web entry, whose WebAssembly the workers instantiate
 * asynchronously and streaming (`src/sync/loroReady.ts`), never with the default browser
 * entry's synchronous XHR. Workers are ES modules so they can import it too.
 */
export default defineConfig({
  plugins: [
    react(),
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
