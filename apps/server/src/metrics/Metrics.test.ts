import { readdirSync, readFileSync, statSync } from "node:fs"
import { join, relative } from "node:path"
import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { catalog, type MetricDef } from "./catalog.js"
import { Metrics } from "./Metrics.js"

const render = () =>
  Effect.runPromise(
    Effect.gen(function* () {
      const m = yield* Metrics
      return { m, text: yield* m.render }
    }).pipe(Effect.provide(Metrics.Default)),
  )

const repo = join(import.meta.dirname, "../../../..")
const sources = (dir: string): Array<string> =>
  readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) return sources(path)
    return name.endsWith(".ts") && !name.includes(".test.") ? [path] : []
  })

describe("Metrics", () => {
  it("[O2] every metric of the catalog is exported from the start, at zero, beside the process metrics", async () => {
    const { text } = await render()
    for (const [name, def] of Object.entries(catalog) as Array<[string, MetricDef]>) {
      expect(text, name).toContain(`# TYPE ${name} ${def.type}`)
      if (def.type === "counter" && def.labels === undefined) expect(text).toMatch(new RegExp(`^${name} 0$`, "m"))
      if (def.type === "histogram" && def.labels === undefined)
        expect(text).toMatch(new RegExp(`^${name}_count 0$`, "m"))
      if (def.type !== "gauge")
        for (const labels of def.initial ?? []) {
          const first = Object.entries(labels)[0]!
          expect(text, `${name} ${JSON.stringify(labels)}`).toMatch(
            new RegExp(`^${name}(_count)?\\{.*${first[0]}="${first[1]}".*\\} 0$`, "m"),
          )
        }
    }
    // Push metrics no longer wait for the first push; pool recycles are a counter.
    expect(text).toMatch(/^vibestack_pushes_total\{duplicate="false"\} 0$/m)
    expect(text).toContain("# TYPE vibestack_pool_recycles_total counter")
    for (const name of ["process_cpu_seconds_total", "process_resident_memory_bytes", "nodejs_eventloop_lag_seconds"])
      expect(text, name).toContain(`# TYPE ${name}`)
  })

  it("[O2] counters count, gauges are read when scraped, labelled gauges show only their current series", async () => {
    const { m } = await render()
    m.inc("vibestack_pool_recycles_total", { pool: "push", cause: "timeout" })
    m.inc("vibestack_pool_recycles_total", { pool: "push", cause: "timeout" })
    m.observe("vibestack_push_seconds", 0.003)
    let lagging: Array<readonly [{ workspace: string }, number]> = [[{ workspace: "a" }, 5]]
    m.gauge("vibestack_projection_workspace_lag", () => lagging)
    m.gauge("vibestack_push_queue_depth", () => 7)
    let text = await Effect.runPromise(m.render)
    expect(text).toMatch(/^vibestack_pool_recycles_total\{pool="push",cause="timeout"\} 2$/m)
    expect(text).toMatch(/^vibestack_push_seconds_bucket\{le="0.005"\} 1$/m)
    expect(text).toMatch(/^vibestack_push_queue_depth 7$/m)
    expect(text).toMatch(/^vibestack_projection_workspace_lag\{workspace="a"\} 5$/m)
    lagging = [[{ workspace: "b" }, 1]]
    text = await Effect.runPromise(m.render)
    expect(text).not.toContain('workspace="a"')
    expect(text).toMatch(/^vibestack_projection_workspace_lag\{workspace="b"\} 1$/m)
  })

  it("[O2] labelled series stay apart by every label's value, in any key order; a label the catalog does not name is refused", async () => {
    const { m } = await render()
    for (let i = 0; i < 3; i++) m.observe("vibestack_pool_call_seconds", 0.001, { pool: "push", op: "Validate" })
    m.observe("vibestack_pool_call_seconds", 0.001, { op: "Validate", pool: "projection" })
    m.observe("vibestack_pool_call_seconds", 0.001, { pool: "push", op: "Load" })
    m.inc("vibestack_pool_timeouts_total", { op: "Load", pool: "push" })
    m.inc("vibestack_pool_timeouts_total", { pool: "push", op: "Load" }, 2)
    const text = await Effect.runPromise(m.render)
    expect(text).toMatch(/^vibestack_pool_call_seconds_count\{pool="push",op="Validate"\} 3$/m)
    expect(text).toMatch(/^vibestack_pool_call_seconds_count\{pool="projection",op="Validate"\} 1$/m)
    expect(text).toMatch(/^vibestack_pool_call_seconds_count\{pool="push",op="Load"\} 1$/m)
    expect(text).toMatch(/^vibestack_pool_timeouts_total\{(op="Load",pool="push"|pool="push",op="Load")\} 3$/m)
    expect(() => m.observe("vibestack_pool_call_seconds", 0.001, { pool: "push", nope: "x" })).toThrow(/nope/)
  })

  it("[O2] docs/OPERATIONS.md lists every metric, and the docs every setting the server reads", () => {
    const ops = readFileSync(join(repo, "docs/OPERATIONS.md"), "utf8")
    for (const name of Object.keys(catalog)) expect(ops, name).toContain(`\`${name}\``)
    const docs = ["OPERATIONS.md", "SECURITY.md", "BACKUP.md"]
      .map((f) => readFileSync(join(repo, "docs", f), "utf8"))
      .join("\n")
    const settings = new Set<string>()
    for (const file of sources(join(repo, "apps/server/src"))) {
      // Inside the repository: a checkout under a folder named `test` or `faults` is still read.
      const path = relative(repo, file)
      for (const m of readFileSync(file, "utf8").matchAll(/"((?:VIBESTACK_[A-Z0-9_]+)|PORT|HOST|DATABASE_URL)"/g))
        if (!path.includes("/faults/") && !path.includes("/test/")) settings.add(m[1]!)
    }
    expect(settings.size).toBeGreaterThan(40)
    // Some names are prefixes completed in code (`VIBESTACK_PUSHES` + `_PER_SECOND`).
    for (const s of settings) expect(docs.includes(`\`${s}\``) || docs.includes(`\`${s}_`), s).toBe(true)
  })
})
