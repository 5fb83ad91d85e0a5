import * as HttpApi from "@effect/platform/HttpApi"
import { VibeStackApi } from "@vibestack/shared"

/** Routes served outside the HttpApi contract (raw routers). */
const RAW_ROUTES: ReadonlyArray<readonly [string, string]> = [["GET", "/api/v1/shape"]]

interface Template {
  readonly method: string
  readonly path: string
  readonly segments: ReadonlyArray<string>
}

const split = (path: string) => path.split("/").filter((s) => s.length > 0)

const templates: ReadonlyArray<Template> = (() => {
  const out: Array<Template> = []
  HttpApi.reflect(VibeStackApi, {
    onGroup: () => {},
    onEndpoint: ({ endpoint }) => {
      out.push({ method: endpoint.method, path: endpoint.path, segments: split(endpoint.path) })
    },
  })
  for (const [method, path] of RAW_ROUTES)
    if (!out.some((t) => t.method === method && t.path === path)) out.push({ method, path, segments: split(path) })
  return out
})()

/**
 * The route template a request matched (`/api/v1/workspaces/:ws/docs/:doc/updates`), taken
 * from the API contract, so HTTP metrics carry a few routes, never one series per workspace.
 * Literal segments win over parameters (`/backups/upload` before `/backups/:backup`). Other
 * GETs are the web app's files (`static`); anything else is `unmatched`.
 */
export const routeTemplate = (method: string, path: string): string => {
  const segments = split(path)
  let best: Template | undefined
  let bestLiterals = -1
  for (const t of templates) {
    if (t.method !== method || t.segments.length !== segments.length) continue
    let literals = 0
    let ok = true
    for (let i = 0; i < segments.length && ok; i++) {
      const s = t.segments[i]!
      if (s.startsWith(":")) continue
      if (s === segments[i]) literals++
      else ok = false
    }
    if (ok && literals > bestLiterals) {
      best = t
      bestLiterals = literals
    }
  }
  if (best !== undefined) return best.path
  return method === "GET" || method === "HEAD" ? "static" : "unmatched"
}
