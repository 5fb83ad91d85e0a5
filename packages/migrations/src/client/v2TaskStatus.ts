import { collectionMap, TaskKeys } from "@vibestack/schema"
import { LoroMap } from "loro-crdt"
import type { DocMigration } from "./DocMigration.js"

/**
 * v1 → v2: tasks get the `status` enum in place of the boolean `done`. `done` stays (v1
 * clients still write it, v2 writers keep it equal to `status === "done"`) and readers apply
 * the done/status rule (`effectiveStatus` in @vibestack/schema), so a v1 client's later edit
 * still shows. Only tasks without a `status` are touched, with a value derived from `done`
 * alone: two devices migrating concurrently write identical values.
 */
export const v2TaskStatus: DocMigration = {
  to: 2,
  name: "task_status",
  run: (doc) => {
    const tasks = collectionMap(doc, "tasks")
    const raw = tasks.toJSON() as Record<string, unknown>
    for (const [id, value] of Object.entries(raw)) {
      if (typeof value !== "object" || value === null || TaskKeys.status in value) continue
      const map = tasks.get(id)
      // Not a map: unreadable remote data, reported by the readers; a migration never guesses.
      if (!(map instanceof LoroMap)) continue
      const done = map.get(TaskKeys.done)
      map.set(TaskKeys.status, done === true ? "done" : "todo")
      if (typeof done !== "boolean") map.set(TaskKeys.done, false)
    }
  },
}
