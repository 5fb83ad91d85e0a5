import { createProject, createTask, deleteTask, moveTask, readWorkspace, updateTask } from "@vibestack/schema"
import fc from "fast-check"
import { LoroDoc } from "loro-crdt"
import { describe, expect, it } from "vitest"
import { EntityIndex, versionKey } from "./EntityIndex.js"

/** The index after incremental updates equals a from-scratch read of the document. */
const settle = () => new Promise((r) => setTimeout(r, 0))

describe("EntityIndex", () => {
  it("keeps per-project task order equal to a full re-read through random edits", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.nat(5), fc.nat(1_000), fc.nat(1_000)), { minLength: 1, maxLength: 40 }),
        async (ops) => {
          const doc = new LoroDoc()
          const p1 = createProject(doc, { name: "A", color: "#000000" })
          const p2 = createProject(doc, { name: "B", color: "#000000" })
          doc.commit()
          const index = new EntityIndex()
          index.loadAll(doc)
          index.tasksOf(p1.id)
          const { changedEntitiesOfEvents } = await import("@vibestack/schema")
          doc.subscribe((batch) => index.apply(doc, changedEntitiesOfEvents(batch), batch.to))
          const ids: Array<string> = []
          for (const [op, x, y] of ops) {
            const pick = ids[x % Math.max(1, ids.length)]
            // Writes the schema refuses (e.g. a move next to a task of another project) are skipped.
            try {
              if (op <= 1 || pick === undefined)
                ids.push(createTask(doc, { projectId: op === 0 ? p1.id : p2.id, title: `t${x}` }).id)
              else if (op === 2)
                moveTask(doc, pick, { projectId: y % 2 === 0 ? p1.id : p2.id, after: null, before: null })
              else if (op === 3) {
                const other = ids[y % ids.length]
                if (other !== undefined && other !== pick) moveTask(doc, pick, { after: other, before: null })
              } else if (op === 4) {
                deleteTask(doc, pick)
                ids.splice(ids.indexOf(pick), 1)
              } else updateTask(doc, pick, { title: `r${y}` })
            } catch {}
            doc.commit()
            await settle()
          }
          // A cache row taken now reads back as the same index, at this exact version.
          const row = index.toCache("ws")
          expect(row?.version).toBe(versionKey(doc.frontiers()))
          const copy = new EntityIndex()
          if (row !== undefined) copy.loadCache(row)
          const truth = readWorkspace(doc).tasks
          for (const p of [p1.id, p2.id]) {
            const expected = truth.filter((t) => t.projectId === p).map((t) => t.id)
            expect(index.tasksOf(p).map((t) => t.id)).toEqual(expected)
            expect(copy.tasksOf(p)).toEqual(index.tasksOf(p))
          }
        },
      ),
      { numRuns: 30 },
    )
  })
})
