import { readFileSync } from "node:fs"
import { relative } from "node:path"
import { describe, expect, it } from "vitest"
import { repoFiles, repoRoot } from "./test/repoFiles.js"

/**
 * `@effect/platform`'s index re-exports every module, HttpApiScalar and HttpApiSwagger among
 * them: the two UIs' JavaScript as string constants. The sources run through tsx, which does not
 * tree-shake, so importing from the package's index put 20 MB of strings in every server, CLI and
 * test process (heap of an idle server 77 → 55 MB with the modules imported by path).
 */
describe("imports of @effect/platform", () => {
  it("name the module (@effect/platform/HttpApiBuilder), never the package's index", () => {
    const files = repoFiles((name) => /\.tsx?$/.test(name))
    expect(files.length).toBeGreaterThan(100)
    const barrel = files.filter((f) =>
      /^(import|export)\b[^;]*?\bfrom\s+"@effect\/platform"$/m.test(readFileSync(f, "utf8")),
    )
    expect(barrel.map((f) => relative(repoRoot, f))).toEqual([])
  })
})
