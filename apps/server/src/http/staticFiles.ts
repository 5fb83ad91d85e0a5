import { existsSync, statSync } from "node:fs"
import { extname, isAbsolute, join, relative, resolve, sep } from "node:path"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import { Effect } from "effect"

const errorJson = (status: number, kind: string, message: string) =>
  HttpServerResponse.unsafeJson({ error: { kind, message } }, { status })

/**
 * The file under `root` that a request path names, `"outside"` when it would leave `root`,
 * or `"malformed"` for an escape that does not decode. Compared by whole path segments
 * (S17): `/..%2fdist.bak/x` resolves to a sibling of `root` whose name merely starts the
 * same, which a string-prefix check lets through.
 */
export const resolveInside = (root: string, pathname: string): string | "outside" | "malformed" => {
  let decoded: string
  try {
    decoded = decodeURIComponent(pathname)
  } catch {
    return "malformed"
  }
  if (decoded.includes("\0")) return "malformed"
  const candidate = resolve(root, `.${sep}${decoded}`)
  const rel = relative(root, candidate)
  if (rel === "") return candidate
  if (isAbsolute(rel) || rel === ".." || rel.startsWith(`..${sep}`)) return "outside"
  return candidate
}

/**
 * Serves the built web app (apps/client/dist) with an SPA fallback to index.html.
 * Hashed assets are immutable; index.html and the service worker are revalidated
 * on every load, so a deploy reaches clients on their next online reload.
 */
export const staticFiles = (dist: string) => {
  const root = resolve(dist)
  const index = join(root, "index.html")
  const assets = join(root, "assets") + sep
  return Effect.gen(function* () {
    const req = yield* HttpServerRequest.HttpServerRequest
    const pathname = URL.parse(req.url, "http://x")?.pathname
    if (pathname === undefined) return errorJson(400, "BadRequest", "malformed path")
    if (pathname.startsWith("/api/")) return errorJson(404, "NotFound", "no such route")
    if (!existsSync(index))
      return HttpServerResponse.text("VibeStack server is running; the web app is not built (npm run build).", {
        status: 200,
      })
    const candidate = resolveInside(root, pathname)
    if (candidate === "malformed") return errorJson(400, "BadRequest", "malformed path")
    if (candidate === "outside") return errorJson(404, "NotFound", "no such file")
    const inside = existsSync(candidate) && statSync(candidate).isFile()
    const file = inside ? candidate : index
    const immutable = inside && file.startsWith(assets)
    const headers = {
      "cache-control": immutable ? "public, max-age=31536000, immutable" : "no-cache",
      ...(extname(file) === ".webmanifest" ? { "content-type": "application/manifest+json" } : {}),
    }
    return yield* HttpServerResponse.file(file, { headers }).pipe(
      Effect.orElseSucceed(() => errorJson(404, "NotFound", "no such file")),
    )
  })
}
