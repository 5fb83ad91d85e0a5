import { DOC_LAYOUT_VERSION, metaMap, SCHEMA_VERSION_KEY, seedWorkspace, createTask } from "@vibestack/schema"
import { LoroDoc, LoroMap } from "loro-crdt"
const doc = new LoroDoc()
metaMap(doc).set(SCHEMA_VERSION_KEY, DOC_LAYOUT_VERSION)
seedWorkspace(doc, { tasks: Number(process.argv[2]), projects: 8, seed: 7, chunk: 1000 })
doc.commit()
const time = (label: string, f: (i: number) => void) => {
  const s = performance.now()
  for (let i = 0; i < 1000; i++) f(i)
  doc.commit()
  console.log(label, Math.round(performance.now() - s), "ms/1000")
}
const tasks = doc.getMap("tasks")
time("raw setContainer+6 sets", (i) => {
  const m = tasks.setContainer(`raw${i}`, new LoroMap())
  m.set("title", "x"); m.set("status", "todo"); m.set("projectId", "p"); m.set("priority", "none"); m.set("sortKey", "a0"); m.set("createdAt", 1)
})
const projectId = doc.getMap("projects").keys()[0]!
time("createTask", (i) => createTask(doc, { id: `ct${i}`, projectId, title: "t", position: { after: null, before: null } }))
time("projects.get", () => { doc.getMap("projects").get(projectId) })
time("tasks.get", (i) => { tasks.get(`raw${i}`) })
