import { LoroDoc } from "loro-crdt"

/** A chain of updates from one writer (`meta.k0`, `meta.k1`, …): each exported from the previous version. */
export const updateChain = (count: number): Array<Uint8Array> => {
  const doc = new LoroDoc()
  const out: Array<Uint8Array> = []
  for (let i = 0; i < count; i++) {
    const vv = doc.oplogVersion()
    doc.getMap("meta").set(`k${i}`, i)
    doc.commit()
    out.push(doc.export({ mode: "update", from: vv }))
  }
  return out
}
