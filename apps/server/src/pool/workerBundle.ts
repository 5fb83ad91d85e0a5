import { createHash } from "node:crypto"
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs"
import { createRequire } from "node:module"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"
import { buildSync } from "esbuild"

const require = createRequire(import.meta.url)

const bundled = new Map<string, URL>()

/**
 * The pool worker as one plain ES module, bundled once per process (tens of ms) so a worker
 * boots without compiling TypeScript: recycling a worker after a Loro panic costs only the
 * thread start and the WASM load.
 */
export const poolWorkerUrl = (): URL => workerUrl(new URL("./poolWorker.ts", import.meta.url))

/**
 * Any worker entry (TypeScript) as one plain ES module, bundled once per process: Node 20
 * cannot `--import tsx` a worker. `loro-crdt` stays external, pinned to this install's file
 * (its WASM is loaded relative to it); everything else (effect, @vibestack/schema) is inlined.
 */
export const workerUrl = (entryUrl: URL): URL => {
  const known = bundled.get(entryUrl.href)
  if (known !== undefined) return known
  const entry = fileURLToPath(entryUrl)
  const loro = pathToFileURL(require.resolve("loro-crdt")).href
  const out = buildSync({
    entryPoints: [entry],
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    write: false,
    logLevel: "silent",
    external: ["loro-crdt"],
    // CommonJS dependencies (`ws`) require Node's built-ins; an ES module has no `require`.
    banner: {
      js: 'import { createRequire as __vibestackRequire } from "node:module"; const require = __vibestackRequire(import.meta.url);',
    },
  })
  const code = new TextEncoder().encode(out.outputFiles[0]!.text.replaceAll('from "loro-crdt"', `from "${loro}"`))
  const hash = createHash("sha256").update(code).digest("hex").slice(0, 16)
  const dir = join(tmpdir(), "vibestack-pool")
  mkdirSync(dir, { recursive: true })
  const name = entry.split("/").pop()!.replace(/\.ts$/, "")
  const file = join(dir, `${name}-${hash}.mjs`)
  // Same content, same name: concurrent processes may race to write it; the rename is atomic.
  if (!exists(file, code.length)) {
    const tmp = `${file}.${process.pid}.tmp`
    writeFileSync(tmp, code)
    renameSync(tmp, file)
  }
  const url = pathToFileURL(file)
  bundled.set(entryUrl.href, url)
  return url
}

const exists = (file: string, size: number): boolean => {
  try {
    return readFileSync(file).length === size
  } catch {
    return false
  }
}
