import { DOC_LAYOUT_VERSION, metaMap, SCHEMA_VERSION_KEY, seedWorkspace } from "@vibestack/schema"
import { LoroDoc } from "loro-crdt"
for (const n of [2500, 5000, 10000, 2500, 5000, 10000]) {
  const doc = new LoroDoc()
  metaMap(doc).set(SCHEMA_VERSION_KEY, DOC_LAYOUT_VERSION)
  const s = performance.now()
  seedWorkspace(doc, { tasks: n, projects: 8, seed: 7, chunk: 100000 })
  doc.commit()
  const built = performance.now() - s
  const u = doc.export({ mode: "update" })
  console.log(n, "tasks", Math.round(built), "ms build", Math.round(performance.now() - s - built), "ms export", u.length, "bytes", ((performance.now()-s)/n*100000/1000).toFixed(1), "s per 100k")
  doc.free()
}
