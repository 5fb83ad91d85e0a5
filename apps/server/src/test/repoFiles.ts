import { readdirSync } from "node:fs"
import { join } from "node:path"
import { fileURLToPath } from "node:url"

/** The repository's root folder. */
export const repoRoot = fileURLToPath(new URL("../../../../", import.meta.url))

/**
 * The files under apps/, packages/ and bench/ whose names pass `keep`, skipping dependencies,
 * build output and dot-folders: what tests that check the sources read.
 */
export const repoFiles = (keep: (name: string) => boolean): Array<string> => {
  const walk = (dir: string): Array<string> =>
    readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
      if (e.name === "node_modules" || e.name === "dist" || e.name.startsWith(".")) return []
      const path = join(dir, e.name)
      return e.isDirectory() ? walk(path) : keep(e.name) ? [path] : []
    })
  return ["apps", "packages", "bench"].flatMap((d) => walk(join(repoRoot, d)))
}
