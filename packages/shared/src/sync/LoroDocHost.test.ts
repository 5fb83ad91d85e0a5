import { LoroDoc } from "loro-crdt"
import { describe, expect, it } from "vitest"
import { BATCH_IMPORT_FROM, importBlobs } from "./LoroDocHost.js"
import { updateChain } from "./test/updateChain.js"

const stateOf = (blobs: ReadonlyArray<Uint8Array>) => {
  const doc = new LoroDoc()
  importBlobs(doc, blobs)
  return doc.getMap("meta").toJSON() as Record<string, number>
}

describe("importBlobs", () => {
  // Below the threshold blobs import one at a time, from it in one batch: both must end in the
  // same document, whatever the order the blobs come in (a later one's dependency after it).
  for (const n of [3, BATCH_IMPORT_FROM + 5]) {
    it(`imports ${n} blobs whole, in order or not`, () => {
      const blobs = updateChain(n)
      const expected = Object.fromEntries(blobs.map((_, i) => [`k${i}`, i]))
      expect(stateOf(blobs)).toEqual(expected)
      expect(stateOf([...blobs].reverse())).toEqual(expected)
    })
  }

  it("reports a blob Loro cannot read as an Error, for both paths", () => {
    const junk = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8])
    expect(() => importBlobs(new LoroDoc(), [junk])).toThrow(Error)
    expect(() => importBlobs(new LoroDoc(), [...updateChain(BATCH_IMPORT_FROM), junk])).toThrow(Error)
  })
})
