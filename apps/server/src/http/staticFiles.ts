import { existsSync, statSync } from "node:fs"
import { extname, join, normalize, resolve } from "node:path"
import { HttpServerRequest, HttpServerResponse } from "@effect/platform"
import { Effect } from "effect"

/**
 * Serves the built web app (apps/client/dist) with an SPA fallback to index.html.
 * Hashed assets are immutable; index.html and the service worker are revalidated
 * on every load, so a deploy reaches clients on their next online reload.
 */
export const staticFiles = (dist: string) => {
  const root = resolve(dist)
  const index = join(root, "index.html")
  return Effect.gen(function* () {
    const req = yield* HttpServerRequest.HttpServerRequest
    const url = new URL(req.url, "http://x")
    if (url.pathname.startsWith("/api/"))
      return HttpServerResponse.unsafeJson({ error: { kind: "NotFound", message: "no such route" } }, { status: 404 })
    if (!existsSync(index))
      return HttpServerResponse.text("VibeStack server is running; the web app is not built (npm run build).", {
        status: 200,
      })
    const candidate = normalize(join(root, decodeURIComponent(url.pathname)))
    const inside = candidate.startsWith(root) && existsSync(candidate) && statSync(candidate).isFile()
    const file = inside ? candidate : index
    const immutable = inside && file.includes(`${join(root, "assets")}`)
    const headers = {
      "cache-control": immutable ? "public, max-age=31536000, immutable" : "no-cache",
      ...(extname(file) === ".webmanifest" ? { "content-type": "application/manifest+json" } : {}),
    }
    return yield* HttpServerResponse.file(file, { headers }).pipe(
      Effect.orElseSucceed(() => HttpServerResponse.text("not found", { status: 404 })),
    )
  })
}
