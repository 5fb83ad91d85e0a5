import type { FuzzTarget } from "./mutationFuzz.js"
import { loadHostileFixtures } from "./testFixtures.js"
import { seededWorkspace, workspaceUpdates } from "./workspaceUpdates.js"

/**
 * The four corners the mutation fuzz covers: (a) the shared fixture `base-update.bin` (root
 * `rows`, lists, text, a tree: nothing our layout has) and (b) realistic workspace updates
 * written through the schema's helpers, each applied to (i) an empty document and (ii) one
 * that already holds `entities` tasks.
 */
export const fuzzTargets = (entities: number): Array<FuzzTarget> => {
  const { base } = loadHostileFixtures()
  const full = seededWorkspace(entities).export({ mode: "snapshot" })
  return [
    { name: "base-empty", base: undefined, updates: [base] },
    { name: "base-full", base: full, updates: [base] },
    { name: "workspace-empty", base: undefined, updates: workspaceUpdates(undefined, 71n, 1) },
    { name: "workspace-full", base: full, updates: workspaceUpdates(full, 72n, 2) },
  ]
}
