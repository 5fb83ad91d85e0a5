import { LoroDoc } from "loro-crdt"

let nextPeer = 1n
/** A fresh document with its own peer id (two live documents must never share one). */
export const testDoc = (): LoroDoc => {
  const doc = new LoroDoc()
  doc.setPeerId(nextPeer++)
  return doc
}

/** Two-way sync of everything each side lacks. */
export const syncDocs = (a: LoroDoc, b: LoroDoc): void => {
  b.import(a.export({ mode: "update", from: b.oplogVersion() }))
  a.import(b.export({ mode: "update", from: a.oplogVersion() }))
}
