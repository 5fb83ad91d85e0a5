import { DOC_LAYOUT_VERSION, metaMap, SCHEMA_VERSION_KEY, seedWorkspace } from "@vibestack/schema"
import { LoroDoc } from "loro-crdt"
const n = Number(process.argv[2] ?? 20000)
const doc = new LoroDoc()
metaMap(doc).set(SCHEMA_VERSION_KEY, DOC_LAYOUT_VERSION)
const t = performance.now()
seedWorkspace(doc, { tasks: n, projects: 8, seed: 7, chunk: 1000 })
doc.commit()
console.log("seed", n, Math.round(performance.now() - t), "ms")
