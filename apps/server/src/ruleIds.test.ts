import { readFileSync } from "node:fs"
import { join, relative } from "node:path"
import { describe, expect, it } from "vitest"
import { repoFiles, repoRoot as root } from "./test/repoFiles.js"

/**
 * Rule ids are only worth citing if they stay true: every rule of a SPEC table has a test whose
 * title cites it, and every id a title cites is defined somewhere (docs/TESTING.md lists where).
 */
const read = (path: string) => readFileSync(join(root, path), "utf8")

/** Ids defined as table rows (`| S4  | …`, `| I1 no loss | …`) or list items (`- **W1 …`). */
const tableIds = (path: string, prefix: string) =>
  [...read(path).matchAll(new RegExp(`^\\| (${prefix}\\d+)\\b`, "gm"))].map((m) => m[1]!)
const listIds = (path: string, prefix: string) =>
  [...read(path).matchAll(new RegExp(`^- \\*\\*(${prefix}\\d+)\\b`, "gm"))].map((m) => m[1]!)

/** The rules that must each have a citing test, by the file that states them. */
const rules: Record<string, ReadonlyArray<string>> = {
  "apps/server/SPEC.md (S)": tableIds("apps/server/SPEC.md", "S"),
  "apps/server/SPEC.md (O)": tableIds("apps/server/SPEC.md", "O"),
  "apps/server/src/feed/SPEC.md (W)": listIds("apps/server/src/feed/SPEC.md", "W"),
  "packages/shared/SPEC.md (C)": tableIds("packages/shared/SPEC.md", "C"),
}
/** Ids tests may also cite: the testing matrix and the client's UI rules. */
const alsoDefined = [...tableIds("docs/TESTING.md", "[ILFB]"), ...listIds("apps/client/README.md", "U")]

/** id → the test files whose titles (`it`, `test`, `describe`, also `.each`/`.skip`…) cite it. */
const citations = (): Map<string, Set<string>> => {
  const cited = new Map<string, Set<string>>()
  for (const file of repoFiles((name) => name.endsWith(".test.ts"))) {
    const titles = readFileSync(file, "utf8").matchAll(
      /\b(?:it|test|describe)(?:\.\w+)*\(\s*["'`]((?:\[[A-Z]+\d+\])+)/g,
    )
    for (const [, tags] of titles)
      for (const [, id] of tags!.matchAll(/\[([A-Z]+\d+)\]/g))
        cited.set(id!, (cited.get(id!) ?? new Set()).add(relative(root, file)))
  }
  return cited
}

describe("rule ids", () => {
  const cited = citations()

  it("every rule of the SPEC tables (S, O, W, C) has a test whose title cites it", () => {
    // Each table was found (a renamed file or a changed row format must not pass silently).
    for (const [where, ids] of Object.entries(rules)) expect(ids.length, where).toBeGreaterThan(5)
    const uncited = Object.entries(rules).flatMap(([where, ids]) =>
      ids.filter((id) => !cited.has(id)).map((id) => `${id} (${where})`),
    )
    expect(uncited).toEqual([])
  })

  it("every id a test title cites is defined, once", () => {
    const defined = [...Object.values(rules).flat(), ...alsoDefined]
    expect(defined.filter((id, i) => defined.indexOf(id) !== i)).toEqual([])
    const undefinedIds = [...cited].filter(([id]) => !defined.includes(id)).map(([id, files]) => `${id}: ${[...files]}`)
    expect(undefinedIds).toEqual([])
  })
})
