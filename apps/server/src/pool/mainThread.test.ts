import { existsSync, readFileSync } from "node:fs"
import { dirname, join, relative } from "node:path"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "vitest"

const src = join(dirname(fileURLToPath(import.meta.url)), "..")

/** Module specifiers a file loads at run time (`import type` and `export type` load nothing). */
const runtimeImports = (code: string): Array<string> =>
  [...code.matchAll(/^\s*(?:import|export)\s+(?!type\b)(?:[^"';]*?\s+from\s+)?["']([^"']+)["']/gm)].map((m) => m[1]!)

/** Every server module the running server loads, from `Server.ts` through relative imports. */
const serverModules = (): Map<string, Array<string>> => {
  const seen = new Map<string, Array<string>>()
  const visit = (file: string) => {
    if (seen.has(file)) return
    const imports = runtimeImports(readFileSync(file, "utf8"))
    seen.set(file, imports)
    for (const spec of imports.filter((s) => s.startsWith("."))) {
      const target = join(dirname(file), spec.replace(/\.js$/, ".ts"))
      if (existsSync(target)) visit(target)
    }
  }
  visit(join(src, "Server.ts"))
  return seen
}

describe("the server's main thread", () => {
  it("[S5] no module the server loads imports loro-crdt: only the pool's worker bundle does", () => {
    const modules = serverModules()
    // The walk must reach the push path, or it proves nothing.
    for (const f of ["store/PushService.ts", "live/LiveServer.ts", "pool/LoroPool.ts"])
      expect([...modules.keys()].map((m) => relative(src, m))).toContain(f)
    const loading = [...modules].filter(([, imports]) => imports.includes("loro-crdt")).map(([f]) => relative(src, f))
    expect(loading).toEqual([])
  })
})
