/**
 * `npm run bench`: every benchmark in turn, each starting its own Postgres and server.
 * `npm run bench -- push live` runs only those. Figures are printed; nothing here passes or fails.
 */
import { spawnSync } from "node:child_process"
import { join } from "node:path"

const all: Record<string, { file: string; args: Array<string>; node?: Array<string> }> = {
  push: { file: "push.ts", args: [] },
  live: { file: "live.ts", args: [] },
  "live-memory": { file: "live-memory.ts", args: [], node: ["--expose-gc"] },
  "pool-validate": { file: "pool-validate.ts", args: [] },
  catchup: { file: "catchup.ts", args: [] },
  projection: { file: "projection.ts", args: [] },
  feed: { file: "feed.ts", args: [] },
  "feed-log-write": { file: "feed-log-write.ts", args: [] },
  backup: { file: "backup.ts", args: [] },
  "client-render": { file: "client-render.ts", args: [] },
  peers: { file: "peers.ts", args: [] },
  "engine-drain": { file: "engine-drain.ts", args: [] },
  "engine-writers": { file: "engine-writers.ts", args: [] },
  "local-compaction": { file: "local-compaction.ts", args: [] },
}
const chosen = process.argv.slice(2).length > 0 ? process.argv.slice(2) : Object.keys(all)
let failed = 0
for (const name of chosen) {
  const b = all[name]
  if (!b) {
    console.error(`unknown benchmark ${name}; one of: ${Object.keys(all).join(", ")}`)
    process.exit(2)
  }
  console.log(`\n=== ${name} ===`)
  const r = spawnSync(
    process.execPath,
    [...(b.node ?? []), "--import", "tsx", join(import.meta.dirname, b.file), ...b.args],
    {
      stdio: "inherit",
    },
  )
  if (r.status !== 0) failed++
}
process.exit(failed === 0 ? 0 : 1)
