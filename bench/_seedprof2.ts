import { DOC_LAYOUT_VERSION, metaMap, SCHEMA_VERSION_KEY, seedWorkspace } from "@vibestack/schema"
import { LoroDoc } from "loro-crdt"
const n = Number(process.argv[2] ?? 20000)
const t = performance.now()
let doc = new LoroDoc()
metaMap(doc).set(SCHEMA_VERSION_KEY, DOC_LAYOUT_VERSION)
doc.commit()
// one doc per step of 10k: measure how per-step time grows
for (let done = 0; done < n; done += 10000) {
  const s = performance.now()
  seedWorkspace(doc, { tasks: 10000, projects: 8, seed: 7 + done, chunk: 1000, comments: 1000, members: 0 })
  doc.commit()
  console.log(done, Math.round(performance.now() - s), "ms", (process.memoryUsage().heapUsed/1e6).toFixed(0), "MB heap")
}
console.log("total", Math.round(performance.now() - t))
