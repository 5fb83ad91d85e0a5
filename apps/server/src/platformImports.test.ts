import { readdirSync, readFileSync } from "node:fs"
import { join, relative } from "node:path"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "vitest"

/**
 * `@effect/platform`'s index re-exports every module, HttpApiScalar and HttpApiSwagger among
 * them: the two UIs' JavaScript as string constants. The sources run through tsx, which does not
 * tree-shake, so importing from the package's index put 20 MB of strings in every server, CLI and
 * test process (heap of an idle server 77 → 55 MB with the modules imported by path).
 */
const root = fileURLToPath(new URL("../../../", import.meta.url))

const sources = (dir: string): Array<string> =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    if (e.name === "node_modules" || e.name === "dist" || e.name.startsWith(".")) return []
    const path = join(dir, e.name)
    return e.isDirectory() ? sources(path) : /\.tsx?$/.test(e.name) ? [path] : []
  })

describe("imports of @effect/platform", () => {
  it("name the module (@effect/platform/HttpApiBuilder), never the package's index", () => {
    const files = ["apps", "packages", "bench"].flatMap((d) => sources(join(root, d)))
    expect(files.length).toBeGreaterThan(100)
    const barrel = files.filter((f) =>
      /^(import|export)\b[^;]*?\bfrom\s+"@effect\/platform"$/m.test(readFileSync(f, "utf8")),
    )
    expect(barrel.map((f) => relative(root, f))).toEqual([])
  })
})
