import { readdirSync, readFileSync } from "node:fs"
import { LoroDoc, LoroList, LoroMap } from "loro-crdt"
import { describe, expect, it } from "vitest"
import { checkBlobHeader, checkPushBlob, loroChecksum, writeLoroChecksum, xxHash32 } from "./blobHeader.js"

const fixturesDir = new URL("../test/fixtures/loro-hostile/", import.meta.url)
const fixtures = (): Array<{ name: string; bytes: Uint8Array }> => {
  const names = readdirSync(fixturesDir).filter((n) => n.endsWith(".bin"))
  if (names.length < 10) throw new Error(`hostile Loro fixtures missing in ${fixturesDir.pathname}`)
  return names.map((name) => ({ name, bytes: new Uint8Array(readFileSync(new URL(name, fixturesDir))) }))
}
const text = (s: string) => new TextEncoder().encode(s)

const sampleDoc = () => {
  const doc = new LoroDoc()
  const m = doc.getMap("root").setContainer("child", new LoroMap())
  m.set("title", "hello")
  doc.getMap("root").setContainer("list", new LoroList()).push(1)
  doc.getText("text").insert(0, "some text long enough to cross sixteen bytes")
  doc.commit()
  return doc
}

describe("xxHash32", () => {
  it("matches the reference vectors", () => {
    expect(xxHash32(text(""), 0)).toBe(0x02cc5d05)
    expect(xxHash32(text("a"), 0)).toBe(0x550d7456)
    expect(xxHash32(text("abc"), 0)).toBe(0x32d153ff)
    expect(xxHash32(text("Nobody inspects the spammish repetition"), 0)).toBe(0xe2293b2f)
  })

  it("matches the checksums Loro writes into its own exports", () => {
    const doc = sampleDoc()
    for (const bytes of [
      doc.export({ mode: "update" }),
      doc.export({ mode: "snapshot" }),
      new LoroDoc().export({ mode: "update" }),
    ]) {
      const stored = new DataView(bytes.buffer, bytes.byteOffset).getUint32(16, true)
      expect(loroChecksum(bytes)).toBe(stored)
    }
  })
})

describe("checkBlobHeader", () => {
  it("accepts real Loro exports and reports their mode", () => {
    const doc = sampleDoc()
    expect(checkBlobHeader(doc.export({ mode: "update" }))).toEqual({ ok: true, mode: "update" })
    expect(checkBlobHeader(doc.export({ mode: "snapshot" }))).toEqual({ ok: true, mode: "snapshot" })
    expect(checkBlobHeader(doc.export({ mode: "shallow-snapshot", frontiers: doc.frontiers() }))).toMatchObject({
      ok: true,
      mode: "snapshot",
    })
    expect(checkBlobHeader(new LoroDoc().export({ mode: "update" }))).toEqual({ ok: true, mode: "update" })
  })

  it("refuses empty, garbage, truncated, oversized and bit-flipped blobs", () => {
    const good = sampleDoc().export({ mode: "update" })
    expect(checkBlobHeader(new Uint8Array())).toMatchObject({ ok: false, reason: "empty body" })
    expect(checkBlobHeader(text('{"hello": 1}'))).toMatchObject({ ok: false })
    expect(checkBlobHeader(text("garbage that is long enough for a header"))).toMatchObject({ ok: false })
    expect(checkBlobHeader(good.slice(0, 10))).toMatchObject({ ok: false })
    expect(checkBlobHeader(good.slice(0, good.length - 1))).toMatchObject({ ok: false })
    expect(checkBlobHeader(good, good.length - 1)).toMatchObject({ ok: false })
    for (let i = 0; i < good.length; i++) {
      const flipped = good.slice()
      flipped[i]! ^= 1 << (i % 8)
      expect(checkBlobHeader(flipped).ok, `bit flip at ${i}`).toBe(false)
    }
  })

  it("refuses legacy and unknown encode modes even with a correct checksum", () => {
    const good = sampleDoc().export({ mode: "update" })
    for (const mode of [0, 1, 2, 5, 0x0104]) {
      const forged = good.slice()
      forged[20] = mode >> 8
      forged[21] = mode & 0xff
      expect(checkBlobHeader(writeLoroChecksum(forged)).ok).toBe(false)
    }
  })

  it("passes the hostile fixtures: their checksums are right, so only the pool can refuse them", () => {
    for (const { name, bytes } of fixtures()) expect(checkBlobHeader(bytes), name).toEqual({ ok: true, mode: "update" })
  })
})

describe("checkPushBlob", () => {
  it("accepts updates and refuses snapshots", () => {
    const doc = sampleDoc()
    expect(checkPushBlob(doc.export({ mode: "update" }))).toEqual({ ok: true, mode: "update" })
    expect(checkPushBlob(doc.export({ mode: "snapshot" }))).toMatchObject({ ok: false })
  })
})
