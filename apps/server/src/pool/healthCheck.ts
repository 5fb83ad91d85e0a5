import { type Container, type ContainerID, LoroDoc, type VersionVector } from "loro-crdt"

/**
 * Proves that a document which just imported untrusted ops is still healthy, or throws.
 *
 * Measured on loro-crdt 1.17.1 (see README.md): crafted updates can import cleanly and
 * read fine, yet make `export({mode: "snapshot"})` panic, or produce a snapshot whose
 * containers panic when a fresh document decodes them. Re-exporting just the new ops as
 * an update and re-importing them catches neither, so the check is:
 *   1. the new ops decode as JSON (also yields the containers they touch),
 *   2. a full snapshot exports (cost grows with the document: ~0.2 ms at 10 entities,
 *      ~9 ms at 10,000, ~100 ms at 100,000; batching amortises it),
 *   3. that snapshot loads into a scratch document with the same version,
 *   4. every touched container decodes there and reads the same as in the copy.
 * Reading only touched containers keeps step 4 small: a full `toJSON` of a snapshot-loaded
 * 100,000-entity document costs seconds.
 */
export const checkHealth = (doc: LoroDoc, from: VersionVector): void => {
  const to = doc.oplogVersion()
  const json = doc.exportJsonUpdates(from, to, false)
  const touched = new Set<ContainerID>()
  for (const change of json.changes) for (const op of change.ops) touched.add(op.container)
  const snapshot = doc.export({ mode: "snapshot" })
  const scratch = new LoroDoc()
  try {
    scratch.import(snapshot)
    if (scratch.oplogVersion().compare(to) !== 0) throw new Error("snapshot does not reproduce the document's version")
    for (const id of touched) {
      const mine = doc.getContainerById(id)
      const theirs = scratch.getContainerById(id)
      if (mine === undefined || theirs === undefined) throw new Error(`container ${id} is missing`)
      if (JSON.stringify(shallow(mine)) !== JSON.stringify(shallow(theirs))) {
        throw new Error(`container ${id} reads differently after a snapshot round trip`)
      }
    }
  } finally {
    scratch.free()
  }
}

/** The container's own value, with child containers as ids (no deep read). */
const shallow = (c: Container): unknown => {
  switch (c.kind()) {
    case "Text":
      return (c as { toString(): string }).toString()
    case "Tree":
      return (c as { toJSON(): unknown }).toJSON()
    default:
      return (c as { getShallowValue(): unknown }).getShallowValue()
  }
}
