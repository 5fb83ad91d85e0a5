import { readFileSync } from "node:fs"
import { join } from "node:path"
import { describe, expect, it } from "vitest"
import { distDir } from "./harness.js"

const page = () => readFileSync(join(distDir, "index.html"), "utf8")
const asset = (file: string) => readFileSync(join(distDir, "assets", file), "utf8")
/** The page's entry script, by file name. */
const entryOf = (html: string) => /<script type="module"[^>]* src="\/assets\/([^"]+\.js)"/.exec(html)?.[1]
/** The chunks a script imports dynamically: the entry's steps. */
const dynamicImports = (code: string) => [...code.matchAll(/import\([`"']\.\/([^`"']+\.js)[`"']\)/g)].map((m) => m[1]!)

/**
 * The page loads in steps (src/main.ts): its entry script holds no library, so a first visit's
 * evaluation is several short tasks instead of one long one. Checked on the built app (the
 * browser tests' global setup builds it), by what the files hold, not by timing.
 */
describe("the built page's entry", () => {
  it("[#15] is small and imports React, Effect, Dexie and the app as chunks of their own", () => {
    const entry = entryOf(page())
    expect(entry).toBeDefined()
    const code = asset(entry!)
    expect(code.length).toBeLessThan(16_000)
    // Library code is not in it: React's renderer, Effect's Schema, Dexie.
    for (const marker of ["createRoot", "ParseError", "liveQuery"]) expect(code).not.toContain(marker)
    // The steps, each its own chunk.
    expect(dynamicImports(code).length).toBeGreaterThanOrEqual(4)
  })

  it("[#15] has every chunk of those steps requested with the page, not one step after another", () => {
    const html = page()
    const entry = entryOf(html)
    expect(entry).toBeDefined()
    const preloaded = new Set(
      [...html.matchAll(/<link rel="modulepreload"[^>]* href="\/assets\/([^"]+\.js)"/g)].map((m) => m[1]),
    )
    // What each step's evaluation needs: its chunk and, transitively, the chunks it imports statically.
    const needed = new Set<string>()
    const visit = (file: string): void => {
      if (needed.has(file) || file === entry) return
      needed.add(file)
      for (const m of asset(file).matchAll(/(?:from|import)\s*["']\.\/([^"']+\.js)["']/g)) visit(m[1]!)
    }
    for (const f of dynamicImports(asset(entry!))) visit(f)
    expect(needed.size).toBeGreaterThanOrEqual(4)
    expect([...needed].filter((f) => !preloaded.has(f))).toEqual([])
  })
})
